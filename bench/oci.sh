#!/usr/bin/env bash
# OCI benchmarks (issue 14 item 8), two rows in one run, side by side with the reference
# tools, the runs of each row interleaved (A B, B A, …) so drift on the machine hits both
# alike; the median of RUNS:
#
#   1. pull a SIZE_MB one-layer image from a loopback docker-registry into an OCI layout:
#        jfetch --plain-http -o OUT docker://HOST/bench:1
#      vs skopeo copy --src-tls-verify=false docker://HOST/bench:1 oci:OUT:1     (bar ≤ 1.10×)
#   2. build an OCI layout from a SIZE_MB jail directory:
#        examples/oci.sh build TREE bench:1 OUT   (jsnap send | jspec new --layer-compression gzip)
#      vs FreeBSD's make-oci-image pipeline, same level:
#        tar -cf - -C TREE . | tee >(sha256sum > DIFFID) | pigz -6 | tee >(sha256sum > DIGEST) > LAYER
#                                                                               (bar ≤ 1.00×)
#      and, like for like with that pipeline (the layer and its two digests, no JSON), the
#      jtools pipeline the build runs before jspec new:
#        jsnap send --dir TREE | jsum --tee -o DIFFID | jpack -c gzip | jsum --tee -o DIGEST > LAYER
#      (the whole build also has jspec new decode the layer again for its diff_id: the gap
#      between the two jtools rows is that second pass).
#
# The tree is real files (copied from /usr/lib, /usr/share and /usr/bin up to SIZE_MB), so it
# compresses as a userland does; the pulled image is that tree's layer (gzip, built by jtools
# and pushed with skopeo, so the registry serves what skopeo itself accepts).
#
# Env: SIZE_MB (default 500), RUNS (default 5), BASE (scratch directory, default /dev/shm:
# disk writeback stays out of the figures), BIN (directory of the tools; default: a release
# build, `cargo build --release` first).
# Needs docker-registry, skopeo, pigz, sha256sum (Debian: docker-registry skopeo pigz coreutils).
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${SIZE_MB:-500}
runs=${RUNS:-5}
base=${BASE:-/dev/shm}
if [[ -z ${BIN:-} ]]; then
  cargo build --release --quiet --bins
  BIN=$PWD/target/release
fi
BIN=$(cd "$BIN" && pwd)
for t in docker-registry skopeo pigz sha256sum; do
  command -v "$t" >/dev/null || { echo "bench/oci.sh: $t not installed" >&2; exit 2; }
done
work=$(mktemp -d "$base/jtools-oci-bench.XXXXXX")
registry_pid=
cleanup() {
  [[ -z $registry_pid ]] || kill "$registry_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The tree: whole files from the host's userland until SIZE_MB.
tree=$work/tree
mkdir -p "$tree"
find /usr/lib /usr/share /usr/bin -type f -size -16M -printf '%s %p\n' 2>/dev/null |
  awk -v limit=$((size_mb << 20)) '{ total += $1; if (total > limit) next; sub(/^[0-9]+ /, ""); print }' >"$work/files"
tar -cf - -T "$work/files" 2>/dev/null | tar -xf - -C "$tree"
tree_mib=$(du -sm "$tree" | cut -f1)

# The registry: Debian's distribution on a free loopback port, storage in the scratch dir.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/storage
http:
  addr: 127.0.0.1:$port
  secret: jtools-bench
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
host=127.0.0.1:$port
SOURCE_DATE_EPOCH=1700000000 JTOOLS_BIN=$BIN sh examples/oci.sh build "$tree" bench:1 "$work/image" >/dev/null
skopeo copy -q --dest-tls-verify=false "oci:$work/image:bench:1" "docker://$host/bench:1"
layer_mib=$(($(find "$work/image/blobs" -type f -size +1M -printf '%s\n' | sort -n | tail -1) >> 20))

# seconds COMMAND: wall time of one run (bash -o pipefail, so a failing stage fails the row).
seconds() {
  local start end
  start=$(date +%s.%N)
  bash -o pipefail -c "$1" >/dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f\n", b - a }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# row LABEL_A CMD_A LABEL_B CMD_B BAR: RUNS interleaved runs of each; "| … |" lines.
row() {
  local a=$2 b=$4 i ta=() tb=() ma mb
  sh -c "$5" # prepare
  bash -o pipefail -c "$a" >/dev/null # warm-up: page cache, connections, binaries
  sh -c "$5"
  bash -o pipefail -c "$b" >/dev/null
  for ((i = 0; i < runs; i++)); do
    sh -c "$5"
    if ((i % 2 == 0)); then
      ta+=("$(seconds "$a")"); sh -c "$5"; tb+=("$(seconds "$b")")
    else
      tb+=("$(seconds "$b")"); sh -c "$5"; ta+=("$(seconds "$a")")
    fi
  done
  ma=$(printf '%s\n' "${ta[@]}" | median)
  mb=$(printf '%s\n' "${tb[@]}" | median)
  printf '| %s | %s s | %s |\n' "$1" "$ma" "$(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.2f× (bar ≤ %s×)", a / b, "'"$6"'" }')"
  printf '| %s | %s s | 1.00× |\n' "$3" "$mb"
}

echo "## OCI: pull and build (issue 14)"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB RAM; scratch on $base"
echo "- tree: ${tree_mib} MiB of files from /usr ($(wc -l <"$work/files") files); its gzip layer: ${layer_mib} MiB"
echo "- references: $(skopeo --version), $(pigz --version 2>&1), docker-registry $(docker-registry --version 2>/dev/null | awk '{print $NF}')"
echo "- time: median of ${runs} interleaved runs after one warm-up each"
echo
echo "| what | time | vs reference |"
echo "|:---|---:|---:|"
out=$work/out
row "pull, jtools: \`jfetch --plain-http -o OUT docker://HOST/bench:1\`" \
  "$BIN/jfetch -q --plain-http -o $out docker://$host/bench:1" \
  "pull, skopeo: \`skopeo copy docker://HOST/bench:1 oci:OUT:1\`" \
  "skopeo copy -q --src-tls-verify=false docker://$host/bench:1 oci:$out:1" \
  "rm -rf $out" 1.10
row "build, jtools: \`examples/oci.sh build TREE bench:1 OUT\`" \
  "SOURCE_DATE_EPOCH=1700000000 JTOOLS_BIN=$BIN sh examples/oci.sh build $tree bench:1 $out" \
  "build, FreeBSD pipeline: \`tar -cf - \\| tee >(sha256sum) \\| pigz -6 \\| tee >(sha256sum) > LAYER\`" \
  "mkdir -p $out && tar -cf - -C $tree . | tee >(sha256sum > $out/diffid) | pigz -6 | tee >(sha256sum > $out/digest) > $out/layer.tar.gz" \
  "rm -rf $out" 1.00
row "build, jtools pipeline: \`jsnap send --dir TREE \\| jsum --tee \\| jpack -c gzip \\| jsum --tee > LAYER\`" \
  "mkdir -p $out && $BIN/jsnap send --dir $tree | $BIN/jsum --tee -q -o $out/diffid | $BIN/jpack -c gzip | $BIN/jsum --tee -q -o $out/digest > $out/layer.tar.gz" \
  "build, FreeBSD pipeline: \`tar -cf - \\| tee >(sha256sum) \\| pigz -6 \\| tee >(sha256sum) > LAYER\`" \
  "mkdir -p $out && tar -cf - -C $tree . | tee >(sha256sum > $out/diffid) | pigz -6 | tee >(sha256sum > $out/digest) > $out/layer.tar.gz" \
  "rm -rf $out" 1.00
