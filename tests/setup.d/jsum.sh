# jsum: tests/jsum_sign.rs checks signatures both ways against Debian's minisign and
# signify-openbsd. Checked by what the tests do with them (make keys, sign prehashed and
# legacy, sign embedded, verify), not by their names. script(1) gives signify the terminal it
# reads passwords from (bsdutils on Debian 12, util-linux later).
jsum_signers_work() {
  local dir rc=0
  dir=$(mktemp -d)
  (
    cd "$dir" &&
      echo data > m &&
      minisign -G -W -s k.key -p k.pub >/dev/null &&
      minisign -S -s k.key -m m </dev/null >/dev/null &&
      minisign -V -p k.pub -m m >/dev/null &&
      minisign -S -l -s k.key -m m -x l.minisig </dev/null >/dev/null &&
      minisign -V -p k.pub -m m -x l.minisig >/dev/null &&
      signify-openbsd -G -n -s s.sec -p s.pub &&
      signify-openbsd -S -e -s s.sec -m m -x e.sig &&
      signify-openbsd -V -e -p s.pub -x e.sig -m out >/dev/null &&
      command -v script &&
      cmp -s m out
  ) >/dev/null 2>&1 || rc=1
  rm -rf "$dir"
  return $rc
}
if ! jsum_signers_work; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing minisign signify-openbsd (jsum)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends minisign signify-openbsd >/dev/null
    command -v script >/dev/null || apt-get install -y -qq --no-install-recommends bsdutils >/dev/null || apt-get install -y -qq --no-install-recommends util-linux >/dev/null || true
    jsum_signers_work || echo "setup: minisign/signify-openbsd installed but not working (jsum_sign will FAIL)"
  else
    echo "setup: minisign or signify-openbsd missing or broken (jsum_sign tests will be SKIPPED)"
  fi
fi
