#!/usr/bin/env bash
# jspec against the reference CLIs, side by side on the same input in one run.
# Usage: bench/jspec.sh [SIZE_MIB]   (default 1024). Prints markdown tables (hyperfine).
# Creating metadata is one pass of hashing over the image: `new --format ajspec` must keep
# up with sha256sum, `new --format imgadm` with sha1sum. Reading a 5000-tag catalogue
# (40000 rows) must stay interactive.
# Needs: hyperfine, sha256sum, sha1sum (make test installs them on Debian).
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
runs=${RUNS:-5}
cargo build --release --quiet --bin jspec
jspec=$PWD/target/release/jspec
work=$(mktemp -d /tmp/jspec-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
image=$work/image.appjail
head -c $((size_mib << 20)) /dev/urandom > "$image"
catalogue=$work/catalogue.ajspec
for i in $(seq 0 4999); do
  t=14.$i
  printf 'tags+: %s\n%s.arch: amd64\n%s.name: "img"\n%s.timestamp.amd64: %d\n%s.sum.amd64: %064x\n%s.size.amd64: %d\n%s.source.amd64: "https://a.example/img/%s-amd64-image.appjail"\n%s.source.amd64+: "https://b.example/img/%s-amd64-image.appjail"\n' \
    "$t" "$t" "$t" "$t" $((1700000000 + i)) "$t" "$i" "$t" $((1000 + i)) "$t" "$t" "$t" "$t"
done > "$catalogue"

echo "## jspec benchmark"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB RAM"
echo "- input: ${size_mib} MiB of random bytes in the page cache; a 5000-tag .ajspec ($(wc -l < "$catalogue") rows); hyperfine, 1 warm-up, ${runs} runs"
echo "- references: $(sha256sum --version | head -1)"
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

bench "new --format ajspec (SHA-256 of the image) vs sha256sum" \
  -n "sha256sum" "sha256sum $image" \
  -n "jspec new --format ajspec" "$jspec new --format ajspec --name img --tag 1 --arch amd64 --source https://m/x $image"

bench "new --format imgadm (SHA-1 of the image) vs sha1sum" \
  -n "sha1sum" "sha1sum $image" \
  -n "jspec new --format imgadm" "$jspec new --format imgadm --name img --version 1 --os bsd --type other $image"

bench "5000-tag catalogue (no reference: AppJail's appjail-config is FreeBSD-only)" \
  -n "jspec validate" "$jspec validate $catalogue" \
  -n "jspec get -t 14.2500 sum:amd64" "$jspec get -t 14.2500 $catalogue sum:amd64" \
  -n "jspec show --json" "$jspec show --json $catalogue" \
  -n "jspec set -t 14.4999 name=img (no change)" "$jspec set -t 14.4999 $catalogue name=img"
