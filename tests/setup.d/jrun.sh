# jrun: tests/jrun*.rs copy busybox into a jail root that has no /lib, so the busybox found
# must be a *static* one (Debian's plain `busybox` package is dynamic and fails there with
# "sh: command not found"); the TIOCSTI test builds a tiny static C program (gcc, libc.a)
# and runs it under script(1).
jrun_busybox_is_static() {
  local bb out
  bb=$(command -v busybox) || return 1
  # ldd prints "not a dynamic executable" (or "statically linked") for a static program,
  # and exits 1 then (hence no pipe under pipefail).
  out=$(ldd "$bb" 2>&1 || true)
  [[ $out == *"not a dynamic executable"* || $out == *"statically linked"* ]]
}
jrun_install() {
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing $* (jrun)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    echo "setup: $* missing (jrun tests will be SKIPPED or fail)"
  fi
}
if ! jrun_busybox_is_static; then
  jrun_install busybox-static
  hash -r
  if ! jrun_busybox_is_static; then
    echo "setup: $(command -v busybox || echo busybox): not a static busybox (jrun)" >&2
    exit 1
  fi
fi
if ! command -v gcc >/dev/null 2>&1 || [[ ! -e /usr/lib/x86_64-linux-gnu/libc.a && ! -e /usr/lib/aarch64-linux-gnu/libc.a ]]; then
  jrun_install gcc libc6-dev
fi
if ! command -v script >/dev/null 2>&1; then
  jrun_install bsdutils
fi
