# jsnap_tar: the tar conformance and round-trip tests (tests/jsnap_tar.rs) need the reference
# tars (bsdtar, GNU tar), python3, attr (setfattr/getfattr), acl (setfacl), libcap2-bin
# (setcap), the decompressors of the corpus (lzop is the one Debian does not preinstall) and
# libarchive itself (jcore reads tar streams through it: libarchive-dev to link).
# Sourced by tests/setup.sh (set -euo pipefail) as root.
jsnap_tar_missing=()
for pair in bsdtar:libarchive-tools tar:tar python3:python3 setfattr:attr setfacl:acl setcap:libcap2-bin \
  lzop:lzop lz4:lz4 zstd:zstd xz:xz-utils bzip2:bzip2 gzip:gzip; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || jsnap_tar_missing+=("${pair#*:}")
done
[[ -e /usr/include/archive.h ]] || jsnap_tar_missing+=(libarchive-dev)
if ((${#jsnap_tar_missing[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: jsnap_tar: installing ${jsnap_tar_missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${jsnap_tar_missing[@]}" >/dev/null
  else
    echo "setup: jsnap_tar: missing ${jsnap_tar_missing[*]} (tests will be SKIPPED)"
  fi
fi
unset jsnap_tar_missing
