#!/usr/bin/env bash
# Issue 16's rows that this session changed, measured as the issue asks: jtools and the
# reference on the same input, runs interleaved (A B A B …), median wall time of each.
#   - jsum -a skein256/512/1024 vs the Skein C reference (pyskein, from PyPI);
#   - jpack -d of a single-stream bzip2 file (bzip2 -9 writes one stream) vs lbzip2 -d.
# Usage: bench/gaps.sh [SIZE_MIB] (default 256). Needs python3 with pyskein (pip install
# pyskein), bzip2, lbzip2. Prints a markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-256}
runs=${RUNS:-5}
cargo build --release --quiet --bin jsum --bin jpack
jsum=$PWD/target/release/jsum
jpack=$PWD/target/release/jpack
work=$(mktemp -d /tmp/jtools-gaps.XXXXXX)
trap 'rm -rf "$work"' EXIT
head -c $((size_mib << 20)) /dev/urandom > "$work/random"
# Compressible text for bzip2 (a decoder's speed depends on the data): /usr/share/doc text.
{ find /usr/share -type f -size -2M -print0 2>/dev/null | xargs -0 cat 2>/dev/null || true; } | head -c $((size_mib << 20)) > "$work/text"
bzip2 -9 -k -c "$work/text" > "$work/text.bz2"
python3 -c 'import skein' 2>/dev/null || { echo "pyskein missing: pip install pyskein" >&2; exit 1; }

# Wall seconds of one run of "$@", output discarded.
seconds() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" > /dev/null
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }

# row NAME_A CMD_A... -- NAME_B CMD_B...: interleaved runs, one table row.
row() {
  local title=$1 name_a=$2 name_b=$4 cmd_a=$3 cmd_b=$5 i
  : > "$work/a"; : > "$work/b"
  bash -c "$cmd_a" > /dev/null; bash -c "$cmd_b" > /dev/null   # warm-up
  for ((i = 0; i < runs; i++)); do
    seconds bash -c "$cmd_a" >> "$work/a"
    seconds bash -c "$cmd_b" >> "$work/b"
  done
  local a b
  a=$(median < "$work/a"); b=$(median < "$work/b")
  printf '| %s | `%s` %s s | `%s` %s s | %.2f |\n' "$title" "$name_a" "$a" "$name_b" "$b" "$(echo "$a / $b" | bc -l)"
}

echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "- CPU flags: $(grep -m1 -o -w -E 'sha_ni|avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "- inputs: ${size_mib} MiB random (digests), ${size_mib} MiB of /usr/share text as bzip2 -9 ($(stat -c %s "$work/text.bz2") bytes); ${runs} interleaved runs, median"
echo
echo "| job | jtools | reference | ratio |"
echo "| --- | --- | --- | --- |"
for bits in 256 512 1024; do
  row "skein$bits" "jsum -a skein$bits" "$jsum -a skein$bits $work/random" \
    "pyskein skein$bits" "python3 -c \"import skein; h=skein.skein$bits(); f=open('$work/random','rb')
while True:
    b=f.read(1<<20)
    if not b: break
    h.update(b)
print(h.hexdigest())\""
done
row "bzip2 -d, single stream" "jpack -d" "$jpack -d < $work/text.bz2" "lbzip2 -d" "lbzip2 -d < $work/text.bz2"
