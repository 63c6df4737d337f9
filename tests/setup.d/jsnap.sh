# jsnap: its ZFS tests need a working zfs-fuse daemon (Debian package zfs-fuse, installed by
# tests/setup.sh) and /dev/fuse; its hostile-archive tests write tars with python3's tarfile.
# Sourced by tests/setup.sh (set -euo pipefail) as root: installs python3 if missing, then makes sure zfs-fuse
# can really create a pool and mount a file system, (re)starting it when it cannot.
if ! command -v python3 >/dev/null 2>&1; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: jsnap: installing python3"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 >/dev/null
  else
    echo "setup: jsnap: python3 missing (the hostile-archive tests will be SKIPPED)"
  fi
fi

# zfs-fuse writes what it says to this file (the tests print its tail when a zfs command fails).
ZFS_FUSE_LOG=/var/log/jtools-zfs-fuse.log

# True when the daemon answers and a throwaway pool mounts as the tests' pools do: its root
# dataset at a mountpoint, a child inheriting below it (a pot's m, a Bastille jail's root),
# each taking a write, and a dataset received unmounted then mounted by name.
# `zpool list` alone is not enough: a daemon left over from an earlier run (or a zombie that
# pgrep still lists) can answer and then die at the first mount.
zfs_fuse_works() {
  # Every zfs command is bounded: a wedged daemon (zfs commands stuck in D state on its FUSE
  # mounts) must read as "not usable" and be restarted, not hang the setup.
  timeout 30 zpool list >/dev/null 2>&1 || return 1
  local dir pool ok=1
  dir=$(mktemp -d /tmp/jtools-zfs-check.XXXXXX)
  pool=jtoolssetup${dir##*.}
  truncate -s 128M "$dir/pool.img"
  if timeout 30 zpool create -m "$dir/mnt" "$pool" "$dir/pool.img" >/dev/null 2>&1; then
    if timeout 30 zfs create "$pool/fs" >/dev/null 2>&1 && timeout 30 zfs create "$pool/fs/m" >/dev/null 2>&1 \
      && timeout 30 sh -c 'echo ok >"$1"' sh "$dir/mnt/fs/m/file" && [[ $(timeout 30 cat "$dir/mnt/fs/m/file") == ok ]] \
      && timeout 30 zfs snapshot "$pool/fs/m@s" >/dev/null 2>&1 \
      && timeout 30 zfs send "$pool/fs/m@s" 2>/dev/null | timeout 30 zfs receive -u "$pool/copy" >/dev/null 2>&1 \
      && timeout 30 zfs mount "$pool/copy" >/dev/null 2>&1 && [[ $(timeout 30 cat "$dir/mnt/copy/file") == ok ]]; then
      ok=0
    fi
    # Right after a write the file system can be busy for a moment: retry (as the tests do).
    # (A timeout, exit 124, means a wedged daemon: stop retrying, the restart deals with it.)
    local rc
    for _ in $(seq 1 50); do
      rc=0
      timeout 10 zpool destroy -f "$pool" >/dev/null 2>&1 || rc=$?
      [[ $rc == 0 || $rc == 124 ]] && break
      timeout 10 zpool list "$pool" >/dev/null 2>&1 || break
      sleep 0.1
    done
    if [[ $rc == 124 ]] || timeout 10 zpool list "$pool" >/dev/null 2>&1; then
      echo "setup: jsnap: could not destroy the check pool $pool"
      ok=1
    fi
  fi
  umount -l "$dir/mnt" >/dev/null 2>&1
  rm -rf "$dir"
  return $ok
}

# Runs a daemon in the background in its own session, its output appended to $ZFS_FUSE_LOG and
# none of our file descriptors (CI's pipes) held open by it.
detached() {
  (
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
    done
    exec setsid "$@" </dev/null >>"$ZFS_FUSE_LOG" 2>&1
  ) &
}

# Stops any zfs-fuse, drops the mounts a dead daemon leaves behind ("Transport endpoint is not
# connected"), and starts a fresh one.
restart_zfs_fuse() {
  pkill -x zfs-fuse 2>/dev/null || true
  for _ in $(seq 1 50); do
    pgrep -x zfs-fuse >/dev/null 2>&1 || break
    sleep 0.1
  done
  pkill -9 -x zfs-fuse 2>/dev/null || true
  awk '$3 == "fuse.zfs" || $2 == "/zfs-kstat" { print $2 }' /proc/mounts | while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || true
  done
  if [[ ! -e /dev/fuse ]]; then
    mknod -m 666 /dev/fuse c 10 229 2>/dev/null || echo "setup: jsnap: /dev/fuse missing, zfs-fuse cannot start"
  fi
  echo "setup: jsnap: starting zfs-fuse (log: $ZFS_FUSE_LOG)"
  echo "== $(date -u) zfs-fuse started by tests/setup.d/jsnap.sh" >>"$ZFS_FUSE_LOG"
  # zfs-fuse reports pool and I/O trouble through syslog; with no syslog daemon here those
  # lines would be lost, so a busybox one writes them to the same log.
  # (It replaces a stale /dev/log that a killed one left.)
  if ! pgrep -f 'syslogd|syslog-ng' >/dev/null 2>&1 && command -v busybox >/dev/null 2>&1; then
    detached busybox syslogd -n -O "$ZFS_FUSE_LOG"
  fi
  detached zfs-fuse --no-daemon
  for _ in $(seq 1 100); do
    zpool list >/dev/null 2>&1 && break
    sleep 0.1
  done
}

if command -v zfs-fuse >/dev/null 2>&1 || [[ -x /usr/sbin/zfs-fuse ]]; then
  PATH=$PATH:/usr/sbin
  for attempt in 1 2 3; do
    zfs_fuse_works && break
    echo "setup: jsnap: zfs-fuse not usable (attempt $attempt)"
    restart_zfs_fuse || echo "setup: jsnap: restarting zfs-fuse failed"
  done
  if zfs_fuse_works; then
    echo "setup: jsnap: zfs-fuse works"
  else
    echo "setup: jsnap: zfs-fuse does not work here (the ZFS tests will fail or be SKIPPED); log:"
    tail -n 20 "$ZFS_FUSE_LOG" 2>/dev/null
  fi
fi
