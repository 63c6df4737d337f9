#!/usr/bin/env bash
# Installs and starts what the test suite needs, on a Debian machine as root. Elsewhere it
# only reports what is missing: the tests that need it then say SKIPPED (or fail under
# JTOOLS_REQUIRE_ALL=1, as in CI).
#
# Per-tool additions (services to start, extra set-up) live in tests/setup.d/*.sh and are
# sourced at the end, in name order.
set -euo pipefail

# Debian package -> a program it provides, to tell whether it is installed.
packages=(
  "coreutils:sha256sum"
  "b3sum:b3sum"
  "openssl:openssl"
  "xz-utils:xz"
  "zstd:zstd"
  "gzip:gzip"
  "pigz:pigz"
  "bzip2:bzip2"
  "lbzip2:lbzip2"
  "pbzip2:pbzip2"
  "lz4:lz4"
  "libarchive-tools:bsdtar"
  "tar:tar"
  "curl:curl"
  "nginx-light:nginx"
  "zfs-fuse:zfs-fuse"
  "busybox-static:busybox"
  "hyperfine:hyperfine"
  "time:/usr/bin/time"
)

missing=()
for entry in "${packages[@]}"; do
  pkg=${entry%%:*}
  prog=${entry#*:}
  if [[ $prog == /* ]]; then
    [[ -x $prog ]] || missing+=("$pkg")
  else
    command -v "$prog" >/dev/null 2>&1 || [[ -x /usr/sbin/$prog || -x /sbin/$prog ]] || missing+=("$pkg")
  fi
done

if ((${#missing[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: missing ${missing[*]} (not root on Debian: the tests that need them will be SKIPPED)"
  fi
fi

for extra in "$(dirname "$0")"/setup.d/*.sh; do
  [[ -e $extra ]] || continue
  # shellcheck source=/dev/null
  source "$extra"
done
echo "setup: done"
