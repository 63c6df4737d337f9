# What building jtools itself needs beyond Rust and a C compiler: libarchive (jcore reads tar
# streams through it; Debian libarchive-dev, FreeBSD base). Sourced by tests/setup.sh, and
# run by `make build` (so `make demo` and `make install` work on a fresh Debian machine).
if [[ $(uname -s) == Linux && ! -e /usr/include/archive.h ]]; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing libarchive-dev (jcore links libarchive)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libarchive-dev pkg-config >/dev/null
  else
    echo "setup: libarchive-dev is missing: install it (apt-get install libarchive-dev) to build jtools" >&2
  fi
fi
