#!/usr/bin/env bash
# jrun: the cost of a throw-away jail (start-up, and a 100 MiB stream through it), side by
# side with util-linux unshare(1) making the same namespaces (but no /dev, no init, no user
# switch) and with plain chroot(8). Needs root and hyperfine; prints markdown tables.
# JRUN=path/to/jrun skips the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $(id -u) == 0 ]] || { echo "bench/jrun.sh: needs root" >&2; exit 2; }
for tool in hyperfine busybox unshare chroot; do
  command -v "$tool" >/dev/null || { echo "bench/jrun.sh: $tool not installed" >&2; exit 2; }
done
if [[ -z ${JRUN:-} ]]; then
  cargo build --release --bin jrun
  JRUN=target/release/jrun
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,etc,proc,dev,tmp}
cp "$(command -v busybox)" "$root/bin/busybox"
for applet in sh true cat; do ln -s busybox "$root/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
head -c 100M /dev/urandom > "$work/data"

echo "## start-up: run /bin/true"
hyperfine --warmup 5 --min-runs 50 -N --export-markdown "$work/start.md" \
  "$JRUN --root $root -- /bin/true" \
  "unshare --mount --pid --fork --uts --ipc --net --root=$root --mount-proc /bin/true" \
  "chroot $root /bin/true" >/dev/null
cat "$work/start.md"
echo
echo "## 100 MiB through cat in the jail, into a pipe"
hyperfine --warmup 2 --min-runs 10 --export-markdown "$work/pipe.md" \
  "$JRUN --root $root -- cat < $work/data | wc -c > /dev/null" \
  "unshare --mount --pid --fork --uts --ipc --net --root=$root --mount-proc /bin/cat < $work/data | wc -c > /dev/null" \
  "cat < $work/data | wc -c > /dev/null" >/dev/null
cat "$work/pipe.md"
