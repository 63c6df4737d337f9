#!/usr/bin/env bash
# The whole export and import of an AppJail-style image: the jtools pipeline against the same
# pipeline built from the reference CLIs, on a real userland tree, in one run.
#
#   export: jsnap send --dir T | jpack -c C | jsum --tee -q -o SUM > IMG
#     vs    tar -cf - -C T . | C-cli | tee >(sha256sum > SUM) > IMG
#   import: jsum --expect "$(cat SUM)" IMG && jpack -d < IMG | jsnap recv --dir OUT
#     vs    sha256sum -c && C-cli -d < IMG | tar -xf - -C OUT
#
# Usage: bench/pipeline.sh [TREE...]  (default: copies of /usr/bin and /usr/share, on tmpfs)
# Env: RUNS (zstd rows, default 3), XZ_RUNS (xz rows, default 1: xz -6 on ~800 MiB takes
# minutes), BASE (scratch dir, default /dev/shm). Peak memory is the largest process of the
# pipeline (GNU time's maximum resident set size over the whole process tree).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
xz_runs=${XZ_RUNS:-1}
base=${BASE:-/dev/shm}
cargo build --release --quiet --bins
bin=$PWD/target/release
work=$(mktemp -d "$base/jtools-pipeline.XXXXXX")
trap 'rm -rf "$work"' EXIT
tree=$work/tree
mkdir -p "$tree"
if (($#)); then sources=("$@"); else sources=(/usr/bin /usr/share); fi
for s in "${sources[@]}"; do cp -a "$s" "$tree/"; done
tree_mib=$(du -sm "$tree" | cut -f1)
entries=$(find "$tree" | wc -l)

echo "## Whole export and import (issue 8)"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB RAM; scratch on $base"
echo "- tree: copies of ${sources[*]}: ${tree_mib} MiB, ${entries} entries"
echo "- references: $(tar --version | head -1), $(zstd --version), $(xz --version | head -1), $(sha256sum --version | head -1)"
echo "- time: mean of ${runs} runs (zstd) / ${xz_runs} run(s) (xz), after one warm-up for zstd; peak RSS: /usr/bin/time -f %M"
echo

measure() { # name runs command -> "mean_seconds peak_kib"
  local runs=$1 cmd=$2 total=0 peak=0 t m
  for ((i = 0; i < runs; i++)); do
    rm -rf "$work/out" && mkdir -p "$work/out"
    sync
    read -r t m < <(/usr/bin/time -f "%e %M" bash -o pipefail -c "$cmd" 2>&1 >/dev/null | tail -1)
    total=$(awk -v a="$total" -v b="$t" 'BEGIN { print a + b }')
    ((m > peak)) && peak=$m
  done
  printf '%.2f %d\n' "$(awk -v a="$total" -v n="$runs" 'BEGIN { print a / n }')" "$peak"
}

row() { # label runs cmd
  local label=$1 runs=$2 cmd=$3 r
  r=$(measure "$runs" "$cmd")
  printf '| %s | %s s | %s MiB |\n' "$label" "${r% *}" "$(( ${r#* } / 1024 ))"
}

for codec in zstd xz; do
  if [[ $codec == zstd ]]; then n=$runs; cli="zstd -T0 -3 -q"; cli_d="zstd -d -q"; else n=$xz_runs; cli="xz -T0 -6"; cli_d="xz -d -T0"; fi
  img=$work/img.$codec
  jt_export="$bin/jsnap send --dir $tree | $bin/jpack -c $codec | $bin/jsum --tee -q -o $work/jt.sha256 > $img.jt"
  cli_export="tar -cf - -C $tree . | $cli | tee >(sha256sum > $work/cli.sha256) > $img.cli"
  jt_import="$bin/jsum -q --expect \"\$(cat $work/jt.sha256)\" $img.jt && $bin/jpack -d < $img.jt | $bin/jsnap recv --dir $work/out"
  cli_import="echo \"\$(cut -c1-64 $work/cli.sha256)  $img.cli\" | sha256sum -c --quiet && $cli_d < $img.cli | tar -xf - -C $work/out"
  if [[ $codec == zstd ]]; then # warm-up: page cache, and the images the import rows read
    bash -o pipefail -c "$jt_export"; bash -o pipefail -c "$cli_export"
  fi
  echo "### $codec"
  echo
  echo "| pipeline | time | peak RSS |"
  echo "|:---|---:|---:|"
  row "export, jtools: \`jsnap send --dir T \\| jpack -c $codec \\| jsum --tee -q -o SUM > IMG\`" "$n" "$jt_export"
  row "export, CLIs: \`tar -cf - -C T . \\| $cli \\| tee >(sha256sum > SUM) > IMG\`" "$n" "$cli_export"
  row "import, jtools: \`jsum --expect SUM IMG && jpack -d < IMG \\| jsnap recv --dir OUT\`" "$n" "$jt_import"
  row "import, CLIs: \`sha256sum -c && $cli_d < IMG \\| tar -xf - -C OUT\`" "$n" "$cli_import"
  echo
  echo "Image sizes: jtools $(stat -c %s "$img.jt") bytes, CLIs $(stat -c %s "$img.cli") bytes."
  echo
done
