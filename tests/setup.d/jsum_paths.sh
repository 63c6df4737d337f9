# jsum_paths (issue 16): jcore links the system libcrypto for SHA-1/256/512 (Debian
# libssl-dev gives the libcrypto.so the linker needs; FreeBSD has it in base), and
# tests/jsum_paths.rs traces jsum with strace(1) to check that the fast paths (tee(2)
# between pipes, prefaulted maps of a FILE) are the ones taken. Checked by what is used:
# the linker's libcrypto and a working trace of a real system call.
jsum_paths_strace_works() {
  command -v strace >/dev/null 2>&1 && strace -qq -f -e trace=write -o /dev/null true 2>/dev/null
}
jsum_paths_libcrypto_links() {
  [[ -e /usr/lib/x86_64-linux-gnu/libcrypto.so || -e /usr/lib/aarch64-linux-gnu/libcrypto.so || -e /usr/lib/libcrypto.so ]]
}
if [[ $(uname -s) == Linux ]] && { ! jsum_paths_libcrypto_links || ! jsum_paths_strace_works; }; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing libssl-dev strace (jcore links libcrypto; jsum_paths traces jsum)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libssl-dev strace >/dev/null
    jsum_paths_strace_works || echo "setup: strace installed but cannot trace here (jsum_paths will FAIL)"
  else
    echo "setup: libssl-dev or a working strace missing (jtools will not link / jsum_paths tests SKIPPED)"
  fi
fi
