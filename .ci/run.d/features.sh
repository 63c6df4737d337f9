#!/usr/bin/env bash
# Each tool links only what it uses (issue 18): one package per tool, jcore's concerns behind
# Cargo features. A build of the whole workspace unifies the features of all members, so a
# tool whose code uses a jcore module it did not ask for still compiles there; this step
# builds what a build of one package alone builds:
# - jcore built with no feature, and checked (its tests too) with none and each feature alone;
# - each tool (and jcli) alone, with the features its own Cargo.toml names, tests included;
# - `cargo build -p jrun` alone, which links (and so proves no C codec or TLS is needed).
# tests/layout.rs checks what each tool's dependency tree leaves out.
set -euo pipefail
cd "$(dirname "$0")/../.."

features=$(sed -n 's/^default = \[\(.*\)\]/\1/p' lib/Cargo.toml | tr -d '"' | tr ',' ' ')
[[ -n $features ]] || { echo "features: no default feature list in lib/Cargo.toml" >&2; exit 1; }

echo "-- cargo build -p jcore --no-default-features"
cargo build -q -p jcore --no-default-features
echo "-- cargo check -p jcore --no-default-features --all-targets"
cargo check -q -p jcore --no-default-features --all-targets
for feature in $features; do
  echo "-- cargo check -p jcore --no-default-features --features $feature --all-targets"
  cargo check -q -p jcore --no-default-features --features "$feature" --all-targets
done
for package in jcli jsnap jpack jsum jfetch jspec jrun; do
  echo "-- cargo check -p $package --all-targets"
  cargo check -q -p "$package" --all-targets
done
echo "-- cargo build -p jrun"
cargo build -q -p jrun
echo "features: jcore builds with no feature and with each of: $features; every tool builds alone"
