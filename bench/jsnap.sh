#!/usr/bin/env bash
# jsnap benchmarks, side by side with the reference tools, printed as markdown tables:
#   1. send --dir vs GNU `tar -cf -`, and recv --dir vs GNU `tar -xf -`, on a userland tree
#      (a copy of /usr/share, or $JSNAP_BENCH_TREE);
#   2. jsnap send vs zfs send of a 256 MiB dataset on a zfs-fuse pool (skipped when
#      zfs-fuse is not running).
# Needs hyperfine. Builds the release binary. Run as root for the ZFS part.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin jsnap >&2
J=$PWD/target/release/jsnap
RUNS=${RUNS:-5}
# JSNAP_BENCH_BASE=/dev/shm keeps disk writeback (and other disk users) out of the figures.
WORK=$(mktemp -d "${JSNAP_BENCH_BASE:-/tmp}/jsnap-bench.XXXXXX")
POOL=jsnapbench$$
cleanup() {
  zpool destroy -f "$POOL" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

TREE_SRC=${JSNAP_BENCH_TREE:-/usr/share}
cp -a "$TREE_SRC" "$WORK/tree"
echo "tree: $TREE_SRC ($(du -sh "$WORK/tree" | cut -f1), $(find "$WORK/tree" | wc -l) entries)" >&2
tar -C "$WORK/tree" -cf "$WORK/gnu.tar" .
"$J" send --dir "$WORK/tree" > "$WORK/jsnap.tar"

# GNU tar skips reading files when it writes to /dev/null: always write into a pipe.
hyperfine --warmup 1 --runs "$RUNS" --export-markdown "$WORK/create.md" \
  -n 'tar -C TREE -cf - . | cat' "tar -C $WORK/tree -cf - . | cat > /dev/null" \
  -n 'jsnap send --dir TREE | cat' "$J send --dir $WORK/tree | cat > /dev/null" >&2
hyperfine --warmup 1 --runs "$RUNS" --export-markdown "$WORK/extract.md" \
  --prepare "rm -rf $WORK/x && mkdir $WORK/x" \
  -n 'tar -C X -xf - < gnu.tar' "tar -C $WORK/x -xf - < $WORK/gnu.tar" \
  -n 'jsnap recv --dir X < jsnap.tar' "$J recv --dir $WORK/x < $WORK/jsnap.tar" >&2

echo "### directory: send (create)"
cat "$WORK/create.md"
echo
echo "### directory: recv (extract)"
cat "$WORK/extract.md"

if zpool list >/dev/null 2>&1; then
  truncate -s 1G "$WORK/pool.img"
  zpool create -m none "$POOL" "$WORK/pool.img"
  zfs create -o mountpoint="$WORK/mnt" "$POOL/jail"
  # The stream content does not matter for a pass-through: 256 MiB of incompressible data.
  head -c 256M /dev/urandom > "$WORK/mnt/blob"
  zfs snapshot "$POOL/jail@bench"
  echo "zfs: $(zfs send "$POOL/jail@bench" | wc -c) byte stream" >&2
  hyperfine --warmup 1 --runs "$RUNS" --export-markdown "$WORK/zfs.md" \
    -n 'zfs send | cat' "zfs send $POOL/jail@bench | cat > /dev/null" \
    -n 'jsnap send | cat' "$J send $POOL/jail@bench | cat > /dev/null" >&2
  echo
  echo "### zfs send (zfs-fuse)"
  cat "$WORK/zfs.md"
else
  echo "zfs-fuse not running: ZFS part skipped" >&2
fi
