#!/usr/bin/env bash
# jsnap benchmarks, side by side with the reference tools, printed as markdown tables:
#   1. send --dir vs GNU `tar -cf -`, and recv --dir vs GNU `tar -xf -`, on a userland tree
#      (a copy of /usr/share, or $JSNAP_BENCH_TREE);
#   2. the same on a tree of sparse files (1 GiB apparent, 8 MiB data each), where GNU tar
#      without -S reads and writes every zero;
#   3. jsnap send vs zfs send of a 256 MiB dataset on a zfs-fuse pool (skipped when
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

# Sparse files (issue 13 item 6): a tree of VM-disk-like images, 1 GiB apparent and 8 MiB of
# data each. GNU tar without -S reads and writes every zero; jsnap finds the data with
# SEEK_DATA/SEEK_HOLE and writes PAX 1.0 sparse members, which recv restores as holes.
mkdir "$WORK/sparse"
for i in 1 2 3 4; do
  f=$WORK/sparse/disk$i.img
  truncate -s 1G "$f"
  for off in 0 300 700 1000; do
    head -c 2M /dev/urandom | dd of="$f" bs=1M seek="$off" conv=notrunc status=none
  done
done
echo "sparse: $(du -sh --apparent-size "$WORK/sparse" | cut -f1) apparent, $(du -sh "$WORK/sparse" | cut -f1) on disk" >&2
tar -C "$WORK/sparse" -cf "$WORK/sparse-gnu.tar" .
"$J" send --dir "$WORK/sparse" > "$WORK/sparse-jsnap.tar"
echo "sparse: tar $(du -h "$WORK/sparse-gnu.tar" | cut -f1), jsnap $(du -h "$WORK/sparse-jsnap.tar" | cut -f1)" >&2
hyperfine --warmup 1 --runs "$RUNS" --export-markdown "$WORK/sparse-create.md" \
  -n 'tar -C SPARSE -cf - . | cat' "tar -C $WORK/sparse -cf - . | cat > /dev/null" \
  -n 'tar -S -C SPARSE -cf - . | cat' "tar -S -C $WORK/sparse -cf - . | cat > /dev/null" \
  -n 'jsnap send --dir SPARSE | cat' "$J send --dir $WORK/sparse | cat > /dev/null" >&2
hyperfine --warmup 1 --runs "$RUNS" --export-markdown "$WORK/sparse-extract.md" \
  --prepare "rm -rf $WORK/x && mkdir $WORK/x" \
  -n 'tar -C X -xf - < sparse-gnu.tar' "tar -C $WORK/x -xf - < $WORK/sparse-gnu.tar" \
  -n 'jsnap recv --dir X < sparse-jsnap.tar' "$J recv --dir $WORK/x < $WORK/sparse-jsnap.tar" >&2
rm -rf "$WORK/x"
echo
echo "### sparse files: send (create)"
cat "$WORK/sparse-create.md"
echo
echo "### sparse files: recv (extract)"
cat "$WORK/sparse-extract.md"
rm -rf "$WORK/sparse" "$WORK"/sparse-*.tar

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
