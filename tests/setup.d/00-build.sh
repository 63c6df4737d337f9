# What building jtools itself needs beyond Rust and a C compiler: libarchive (jcore reads tar
# streams through it; Debian libarchive-dev, FreeBSD base) and libcrypto (jcore takes SHA-1,
# SHA-256 and SHA-512 from it; Debian libssl-dev gives the libcrypto.so the linker needs,
# FreeBSD has it in base). Sourced by tests/setup.sh, and run by `make build` (so `make demo`
# and `make install` work on a fresh Debian machine). Checked by the files the build uses.
build_need=()
if [[ $(uname -s) == Linux ]]; then
  [[ -e /usr/include/archive.h ]] || build_need+=(libarchive-dev pkg-config)
  build_crypto=no
  for lib in /usr/lib/*/libcrypto.so /usr/lib/libcrypto.so; do [[ -e $lib ]] && build_crypto=yes; done
  [[ $build_crypto == yes ]] || build_need+=(libssl-dev)
  unset build_crypto lib
fi
if ((${#build_need[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${build_need[*]} (jcore links libarchive and libcrypto)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${build_need[@]}" >/dev/null
  else
    echo "setup: missing to build jtools: ${build_need[*]} (apt-get install them)" >&2
  fi
fi
unset build_need
