#!/usr/bin/env bash
# Issue 16's jsum rows (items 1, 4, 5), measured as the issue asks: jtools and the reference
# on the same input in one run, runs interleaved (A B A B …), the median of each. Every row
# gives wall seconds (what the bars are about) and user+sys CPU seconds of the whole command
# (all processes of a pipeline), so a run on a loaded machine still says something.
#   1. jsum -a sha512 / sha256 / sha1 FILE       vs openssl dgst -sha512 / -sha256 / -sha1 FILE (<= 1.00)
#   4. jsum -a sha256,sha1,blake3 FILE            vs the slowest of those alone (<= 1.20)
#      jsum -a sha256,sha512,blake3 FILE          vs the slowest of those alone (<= 1.20)
#   5. cat F | jsum --tee -a blake3 | cat         vs cat F | cat | cat (<= 1.10)
#      cat F | jsum --tee -a sha256 | cat         vs cat F | jsum -a sha256, the hashing alone (<= 1.05)
# Usage: bench/jsum_gaps.sh [SIZE_MIB] (default 400). RUNS=N (default 5). Needs openssl.
# Prints a markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-400}
runs=${RUNS:-5}
cargo build --release --quiet --bin jsum
jsum=$PWD/target/release/jsum
work=$(mktemp -d /tmp/jsum-gaps.XXXXXX)
trap 'rm -rf "$work"' EXIT
input=$work/random
head -c $((size_mib << 20)) /dev/urandom > "$input"

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }

# measure KEY CMD: one run of CMD (bash -c, output discarded); appends wall and CPU seconds
# to $work/KEY.wall and $work/KEY.cpu.
measure() {
  /usr/bin/time -o "$work/time" -f '%e %U %S' bash -c "$2" > /dev/null 2> /dev/null
  awk '{print $1}' "$work/time" >> "$work/$1.wall"
  awk '{print $2 + $3}' "$work/time" >> "$work/$1.cpu"
}

# interleave KEY=CMD …: warm-up, then RUNS rounds of every command in turn.
interleave() {
  local spec i
  for spec in "$@"; do
    : > "$work/${spec%%=*}.wall"; : > "$work/${spec%%=*}.cpu"
    bash -c "${spec#*=}" > /dev/null 2>&1
  done
  for ((i = 0; i < runs; i++)); do
    for spec in "$@"; do measure "${spec%%=*}" "${spec#*=}"; done
  done
}
wall() { median < "$work/$1.wall"; }
cpu() { median < "$work/$1.cpu"; }

# row TITLE A_LABEL A_KEY B_LABEL B_KEY: ratio of the wall medians (and of the CPU medians).
row() {
  local a b ac bc
  a=$(wall "$3"); b=$(wall "$5"); ac=$(cpu "$3"); bc=$(cpu "$5")
  printf '| %s | `%s` %s s (cpu %s) | `%s` %s s (cpu %s) | %.2f | %.2f |\n' "$1" "$2" "$a" "$ac" "$4" "$b" "$bc" \
    "$(echo "$a / $b" | bc -l)" "$(echo "$ac / $bc" | bc -l)"
}

# The key of the slowest (by wall median) of the keys given.
slowest() {
  local k best="" best_t=-1 t
  for k in "$@"; do
    t=$(wall "$k")
    if (( $(echo "$t > $best_t" | bc -l) )); then best=$k; best_t=$t; fi
  done
  echo "$best"
}

F=$input
interleave \
  "sha512=$jsum -a sha512 $F" "ossl512=openssl dgst -sha512 $F" \
  "sha256=$jsum -a sha256 $F" "ossl256=openssl dgst -sha256 $F" \
  "sha1=$jsum -a sha1 $F" "ossl1=openssl dgst -sha1 $F" \
  "blake3=$jsum -a blake3 $F" \
  "multi1=$jsum -a sha256,sha1,blake3 $F" "multi2=$jsum -a sha256,sha512,blake3 $F"
interleave \
  "teeb3=cat $F | $jsum --tee -a blake3 -o /dev/null | cat > /dev/null" "cats=cat $F | cat | cat > /dev/null" \
  "tee256=cat $F | $jsum --tee -a sha256 -o /dev/null | cat > /dev/null" "pipe256=cat $F | $jsum -a sha256 > /dev/null"

echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- CPU flags: $(grep -m1 -o -w -E 'sha_ni|avx512f|avx2|bmi2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "- $(openssl version); input: ${size_mib} MiB random in the page cache; ${runs} interleaved runs, medians; cpu = user+sys of every process of the command"
echo
echo "| job | jtools | reference | ratio (wall) | ratio (cpu) |"
echo "| --- | --- | --- | --- | --- |"
row "sha512" "jsum -a sha512" sha512 "openssl dgst -sha512" ossl512
row "sha256" "jsum -a sha256" sha256 "openssl dgst -sha256" ossl256
row "sha1" "jsum -a sha1" sha1 "openssl dgst -sha1" ossl1
s=$(slowest sha256 sha1 blake3)
row "sha256+sha1+blake3 in one pass" "jsum -a sha256,sha1,blake3" multi1 "jsum -a $s (slowest alone)" "$s"
s=$(slowest sha256 sha512 blake3)
row "sha256+sha512+blake3 in one pass" "jsum -a sha256,sha512,blake3" multi2 "jsum -a $s (slowest alone)" "$s"
row "--tee -a blake3 in a pipe" "cat F \| jsum --tee -a blake3 \| cat" teeb3 "cat F \| cat \| cat" cats
row "--tee -a sha256 in a pipe" "cat F \| jsum --tee -a sha256 \| cat" tee256 "cat F \| jsum -a sha256" pipe256
