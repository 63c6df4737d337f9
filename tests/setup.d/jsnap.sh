# jsnap: its ZFS tests need a running zfs-fuse daemon (Debian package zfs-fuse, installed by
# tests/setup.sh) and /dev/fuse; its hostile-archive tests write tars with python3's tarfile.
# Sourced by tests/setup.sh as root: installs python3 if missing, starts the daemon if it is
# not running and waits until `zpool list` answers.
if ! command -v python3 >/dev/null 2>&1; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: jsnap: installing python3"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 >/dev/null
  else
    echo "setup: jsnap: python3 missing (the hostile-archive tests will be SKIPPED)"
  fi
fi
if command -v zfs-fuse >/dev/null 2>&1 || [[ -x /usr/sbin/zfs-fuse ]]; then
  if ! pgrep -x zfs-fuse >/dev/null 2>&1; then
    if [[ ! -e /dev/fuse ]]; then
      mknod -m 666 /dev/fuse c 10 229 2>/dev/null || echo "setup: jsnap: /dev/fuse missing, zfs-fuse cannot start"
    fi
    echo "setup: jsnap: starting zfs-fuse"
    PATH=$PATH:/usr/sbin zfs-fuse || echo "setup: jsnap: zfs-fuse failed to start"
  fi
  for _ in $(seq 1 50); do
    PATH=$PATH:/usr/sbin zpool list >/dev/null 2>&1 && break
    sleep 0.2
  done
fi
