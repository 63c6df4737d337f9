#!/usr/bin/env bash
# jsum against the reference CLIs, side by side on the same input in one run.
# Usage: bench/jsum.sh [SIZE_MIB]   (default 1024). Prints markdown tables (hyperfine).
# Needs: hyperfine, openssl, b3sum, sha256sum (make test installs them on Debian).
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
runs=${RUNS:-5}
cargo build --release --quiet --bin jsum
jsum=$PWD/target/release/jsum
work=$(mktemp -d /tmp/jsum-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
input=$work/input.bin
# Incompressible bytes: hashing speed does not depend on content, and this stays honest
# about I/O. The file sits in the page cache (the machine has far more RAM than this).
head -c $((size_mib << 20)) /dev/urandom > "$input"

echo "## jsum benchmark"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB RAM"
echo "- CPU flags: $(grep -m1 -o -w -E 'sha_ni|avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "- input: ${size_mib} MiB of random bytes in the page cache; hyperfine, 1 warm-up, ${runs} runs"
echo "- references: $(openssl version), b3sum $(b3sum --version | cut -d' ' -f2), $(sha256sum --version | head -1)"
echo

bench() {
  local title=$1
  shift
  echo "### $title"
  echo
  hyperfine --style none --warmup 1 --runs "$runs" --export-markdown "$work/table.md" "$@" >/dev/null
  cat "$work/table.md"
  echo
}

bench "SHA-256 (target: within 10% of openssl)" \
  -n "openssl dgst -sha256" "openssl dgst -sha256 $input" \
  -n "jsum -a sha256" "$jsum -a sha256 $input" \
  -n "sha256sum" "sha256sum $input"

bench "BLAKE3 (target: within 25% of b3sum)" \
  -n "b3sum" "b3sum $input" \
  -n "jsum -a blake3" "$jsum -a blake3 $input"

bench "Three algorithms in one pass (target: within 30% of the slowest alone)" \
  -n "jsum -a sha512 (slowest alone)" "$jsum -a sha512 $input" \
  -n "jsum -a sha256" "$jsum -a sha256 $input" \
  -n "jsum -a blake3" "$jsum -a blake3 $input" \
  -n "jsum -a sha256,sha512,blake3" "$jsum -a sha256,sha512,blake3 $input"

bench "--tee in a pipe (target: within 10% of cat for the cheap algorithms)" \
  -n "cat" "cat < $input | cat > /dev/null" \
  -n "jsum --tee -a blake3" "$jsum --tee -a blake3 -o /dev/null < $input | cat > /dev/null" \
  -n "jsum --tee -a sha1" "$jsum --tee -a sha1 -o /dev/null < $input | cat > /dev/null" \
  -n "jsum --tee -a sha256" "$jsum --tee -a sha256 -o /dev/null < $input | cat > /dev/null"
