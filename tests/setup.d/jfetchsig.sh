# jfetch's signature tests (tests/jfetch_sign.rs): specs and images signed by Debian's minisign
# and signify-openbsd, served by lighttpd whose access log (mod_accesslog) shows that a refused
# spec made no request. Checked by what the tests do with them, not by package names.
jfetchsig_works() {
  local dir rc=0
  dir=$(mktemp -d)
  (
    cd "$dir" &&
      echo data > m &&
      minisign -G -W -s k.key -p k.pub >/dev/null &&
      minisign -S -s k.key -m m </dev/null >/dev/null &&
      minisign -S -l -s k.key -m m -x l.minisig </dev/null >/dev/null &&
      minisign -V -p k.pub -m m -x l.minisig >/dev/null &&
      signify-openbsd -G -n -s s.sec -p s.pub &&
      signify-openbsd -S -s s.sec -m m &&
      signify-openbsd -V -q -p s.pub -m m &&
      [[ -x /usr/sbin/lighttpd ]] &&
      { [[ -f /usr/lib/lighttpd/mod_accesslog.so ]] || /usr/sbin/lighttpd -V 2>/dev/null | grep -q accesslog; }
  ) >/dev/null 2>&1 || rc=1
  rm -rf "$dir"
  return $rc
}
if ! jfetchsig_works; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing minisign signify-openbsd lighttpd (jfetch signatures)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends minisign signify-openbsd lighttpd >/dev/null
    jfetchsig_works || echo "setup: minisign/signify-openbsd/lighttpd installed but not working (jfetch_sign will FAIL)"
  else
    echo "setup: minisign, signify-openbsd or lighttpd missing (jfetch_sign tests will be SKIPPED)"
  fi
fi
unset -f jfetchsig_works
