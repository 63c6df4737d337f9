#!/usr/bin/env bash
# Issue 16 item 3 measured in CPU time, which a busy machine disturbs far less than wall
# time: one thread decoding one single-stream bzip2 -9 file, jpack -d -T1 vs lbzip2 -d -n1
# vs bzip2 -d (user + sys seconds, median of interleaved runs), then the 2-core wall time
# of jpack -d vs lbzip2 -d. Inputs: a tar of /usr/share (mixed data) and /dev/urandom.
# Usage: bench/bzip2_cpu.sh [SIZE_MB] (default 200). Needs bzip2, lbzip2, GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-200}
runs=${RUNS:-5}
cargo build --release --quiet --bin jpack
jpack=$PWD/target/release/jpack
work=$(mktemp -d /tmp/jtools-bzip2-cpu.XXXXXX)
trap 'rm -rf "$work"' EXIT
{ tar cf - -C / usr/share 2>/dev/null || true; } | head -c $((size_mb * 1000000)) | bzip2 -9 > "$work/mixed.bz2"
head -c $((size_mb * 1000000)) /dev/urandom | bzip2 -9 > "$work/random.bz2"

# CPU (user + sys) or wall seconds of one run of the command line $2 on file $3.
measure() {
  /usr/bin/time -f "%U %S %e" -o "$work/time" bash -c "$2 < $3 > /dev/null"
  if [ "$1" = cpu ]; then awk '{print $1 + $2}' "$work/time"; else awk '{print $3}' "$work/time"; fi
}
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'; }

# row KIND FILE CMD...: interleaved runs of each command, their medians and each one's
# ratio to the second command's (the reference).
row() {
  local kind=$1 file=$2 i j
  shift 2
  local cmds=("$@") medians=()
  for j in "${!cmds[@]}"; do : > "$work/m$j"; done
  for ((i = 0; i < runs; i++)); do
    for j in "${!cmds[@]}"; do measure "$kind" "${cmds[$j]}" "$file" >> "$work/m$j"; done
  done
  for j in "${!cmds[@]}"; do medians+=("$(median < "$work/m$j")"); done
  printf '| %s, %s |' "$(basename "$file" .bz2)" "$kind"
  for j in "${!cmds[@]}"; do
    printf ' `%s` %s s (%.2f×) |' "${cmds[$j]/#$jpack/jpack}" "${medians[$j]}" "$(echo "${medians[$j]} / ${medians[1]}" | bc -l)"
  done
  echo
}

echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "- inputs: bzip2 -9 of ${size_mb} MB of a tar of /usr/share ($(stat -c %s "$work/mixed.bz2") bytes) and of /dev/urandom; ${runs} interleaved runs, median"
echo
echo "| input, measure | jpack | lbzip2 | bzip2 |"
echo "| --- | --- | --- | --- |"
for file in "$work/mixed.bz2" "$work/random.bz2"; do
  row cpu "$file" "$jpack -d -T1" "lbzip2 -d -n1" "bzip2 -d"
  row wall "$file" "$jpack -d" "lbzip2 -d" "bzip2 -d"
done
