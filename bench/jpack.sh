#!/usr/bin/env bash
# jpack against the reference CLIs, side by side on one machine and one input: compress
# and decompress time, throughput, ratio and peak RSS, as a markdown table on stdout.
#
#   bench/jpack.sh [CORPUS_MIB]            default 256 MiB
#   RUNS=3 CODECS="zstd gzip" bench/jpack.sh
#
# The corpus is a tar of a real userland (/usr/bin, /usr/share, /usr/lib), cut to
# CORPUS_MIB; it is kept in $JPACK_BENCH_DIR (default /tmp/jpack-bench) between runs.
# Each time is the best of RUNS runs (default 3). Every output is checked: the reference
# CLI decodes jpack's output and jpack decodes the reference's, compared with the corpus.
set -euo pipefail

cd "$(dirname "$0")/.."
mib=${1:-256}
runs=${RUNS:-3}
codecs=${CODECS:-"zstd gzip xz bzip2 lz4"}
work=${JPACK_BENCH_DIR:-/tmp/jpack-bench}
mkdir -p "$work"

cargo build --release --bin jpack >&2
jpack=$PWD/target/release/jpack

corpus=$work/corpus-$mib.tar
if [[ ! -s $corpus ]]; then
  echo "bench: building a $mib MiB corpus from /usr" >&2
  tar -cf - /usr/bin /usr/share /usr/lib 2>/dev/null | head -c $((mib << 20)) > "$corpus" || true
fi
size=$(stat -c %s "$corpus")

# best_of INPUT OUTPUT COMMAND...: runs the command RUNS times with stdin INPUT and
# stdout OUTPUT; prints "seconds peak-rss-KiB cpu-seconds" of the fastest run.
best_of() {
  local input=$1 output=$2
  shift 2
  local best="" line
  for ((i = 0; i < runs; i++)); do
    /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$@" < "$input" > "$output"
    line=$(tail -n 1 "$work/time" | awk '{ printf "%s %s %.2f", $1, $2, $3 + $4 }')
    if [[ -z $best ]] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
      best=$line
    fi
  done
  echo "$best"
}

row() { # command, compress "s rss cpu", decompress "s rss cpu", compressed size
  local name=$1 c=$2 d=$3 packed=$4
  awk -v name="$name" -v c="$c" -v d="$d" -v size="$size" -v packed="$packed" 'BEGIN {
      split(c, C, " "); split(d, D, " ")
      mb = size / 1e6
      printf "| %s | %.2f | %.2f | %.0f | %.4f | %.0f | %.2f | %.2f | %.0f | %.0f |\n",
        name, C[1], C[3], (C[1] > 0 ? mb / C[1] : 0), packed / size, C[2] / 1024,
        D[1], D[3], (D[1] > 0 ? mb / D[1] : 0), D[2] / 1024
    }'
}

echo "Corpus: $(basename "$corpus"), $size bytes (tar of /usr/bin /usr/share /usr/lib); $(nproc) cores; best of $runs runs."
echo "Ratio = compressed / original. MB/s = original bytes / wall time. cpu = user + system seconds."
echo
echo "| command | compress s | cpu s | MB/s | ratio | peak RSS MiB | decompress s | cpu s | MB/s | peak RSS MiB |"
echo "|---|---|---|---|---|---|---|---|---|---|"

for codec in $codecs; do
  case $codec in
    zstd) level=3; ref=(zstd -3 -T0 -c); refd=(zstd -d -c); name="zstd -3 -T0 / zstd -d" ;;
    gzip) level=6; ref=(pigz -6 -c); refd=(pigz -d -c); name="pigz -6 / pigz -d" ;;
    xz) level=6; ref=(xz -6 -T0 -c); refd=(xz -d -T0 -c); name="xz -6 -T0 / xz -d -T0" ;;
    bzip2) level=9; ref=(lbzip2 -9 -c); refd=(lbzip2 -d -c); name="lbzip2 -9 / lbzip2 -d" ;;
    lz4) level=1; ref=(lz4 -1 -c); refd=(lz4 -d -c); name="lz4 -1 / lz4 -d" ;;
    *) echo "bench: unknown codec $codec" >&2; exit 2 ;;
  esac
  ours=$work/jpack.$codec
  theirs=$work/ref.$codec
  c=$(best_of "$corpus" "$ours" "$jpack" -c "$codec" -l "$level")
  d=$(best_of "$ours" /dev/null "$jpack" -d)
  row "jpack -c $codec -l $level / jpack -d" "$c" "$d" "$(stat -c %s "$ours")"
  c=$(best_of "$corpus" "$theirs" "${ref[@]}")
  d=$(best_of "$theirs" /dev/null "${refd[@]}")
  row "$name" "$c" "$d" "$(stat -c %s "$theirs")"
  # Interop check on the real corpus, both ways.
  "${refd[@]}" < "$ours" | cmp -s - "$corpus" || { echo "bench: ${refd[*]} cannot read jpack's $codec" >&2; exit 1; }
  "$jpack" -d < "$theirs" | cmp -s - "$corpus" || { echo "bench: jpack cannot read ${ref[0]}'s output" >&2; exit 1; }
  rm -f "$ours" "$theirs"
done
