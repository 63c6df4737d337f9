#!/usr/bin/env bash
# Runs every tool's benchmark script in turn and prints their markdown.
set -euo pipefail
cd "$(dirname "$0")"
for script in ./*.sh; do
  [[ $script == ./run.sh ]] && continue
  bash "$script"
done
