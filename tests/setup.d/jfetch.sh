# jfetch's tests: nginx, openssl and curl come from the main list; script(1) runs jfetch on a
# pseudo-terminal for the progress-bar test (bsdutils on Debian 12, util-linux later).
if ! command -v script >/dev/null 2>&1; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing util-linux (script) for jfetch"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends bsdutils >/dev/null && command -v script >/dev/null ||
      apt-get install -y -qq --no-install-recommends util-linux >/dev/null || true
  else
    echo "setup: script(1) missing: jfetch's progress-bar test will be SKIPPED"
  fi
fi
