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
# jfetch's real-world tests (tests/jfetch_real.rs): stock squid and tinyproxy, microsocks
# (SOCKS5), danted (SOCKS4/4a), lighttpd, apache2, busybox httpd (the static busybox), python3's http.server,
# curl (to read an ETag), dnsmasq and unshare (the DNS test) and setpriv (the daemons run as nobody). Checked by what the tests
# run, not by package name.
jfetch_need=()
[[ -x /usr/sbin/squid ]] || jfetch_need+=(squid)
[[ -x /usr/bin/tinyproxy || -x /usr/sbin/tinyproxy ]] || jfetch_need+=(tinyproxy)
command -v microsocks >/dev/null 2>&1 || jfetch_need+=(microsocks)
[[ -x /usr/sbin/danted ]] || jfetch_need+=(dante-server)
[[ -x /usr/sbin/lighttpd ]] || jfetch_need+=(lighttpd)
[[ -x /usr/sbin/apache2 && -f /usr/lib/apache2/modules/mod_mpm_event.so ]] || jfetch_need+=(apache2)
command -v python3 >/dev/null 2>&1 || jfetch_need+=(python3)
command -v curl >/dev/null 2>&1 || jfetch_need+=(curl)
command -v setpriv >/dev/null 2>&1 || jfetch_need+=(util-linux)
command -v c_rehash >/dev/null 2>&1 || jfetch_need+=(openssl)
# dnsmasq: a real DNS server answering NXDOMAIN for the DNS-failure test (in a private
# network namespace, so the host's resolver is never asked).
command -v dnsmasq >/dev/null 2>&1 || jfetch_need+=(dnsmasq-base)
command -v unshare >/dev/null 2>&1 || jfetch_need+=(util-linux)
if ! /bin/busybox httpd --help >/dev/null 2>&1; then jfetch_need+=(busybox-static); fi
if ((${#jfetch_need[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing for jfetch: ${jfetch_need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${jfetch_need[@]}" >/dev/null
  else
    echo "setup: missing for jfetch's real-server tests (they will be SKIPPED): ${jfetch_need[*]}"
  fi
fi
# The Debian packages start their daemons on the stock ports; the tests start their own
# copies on free loopback ports and need nothing from the system ones.
unset jfetch_need
