#!/usr/bin/env bash
# jrun's FreeBSD code paths (jail_attach, jail_set, nmount) must at least compile: check and
# lint the jrun binary for x86_64-unknown-freebsd. When the target cannot be installed (no
# rustup, no network to static.rust-lang.org), say so clearly and go on, as issue 7 asks.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=x86_64-unknown-freebsd

installed() { command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx "$target"; }

if ! installed; then
  if ! command -v rustup >/dev/null 2>&1 || ! rustup target add "$target" >/dev/null 2>&1 || ! installed; then
    echo "FreeBSD target not installable here: skipping cargo check --target $target"
    exit 0
  fi
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! cargo check --target "$target" --bin jrun 2>"$log"; then
  # A C dependency's build script needs a FreeBSD C toolchain and sysroot, which a Linux
  # machine usually lacks: that is this machine's limit, not a fault in jrun's code.
  if grep -q "failed to run custom build command for \`" "$log" && ! grep -q "^error\[E" "$log"; then
    grep "failed to run custom build command" "$log" >&2
    echo "FreeBSD cross-compilation of a C dependency is not possible here (no FreeBSD C toolchain):" \
      "skipping cargo check --target $target"
    exit 0
  fi
  cat "$log" >&2
  exit 1
fi
cargo clippy --target "$target" --bin jrun -- -D warnings
echo "jrun: FreeBSD code paths compile (cargo check/clippy --target $target)"
