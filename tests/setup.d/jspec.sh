# jspec: tests/jspec_imgmanifest.rs checks jspec's imgadm validator against the real
# node-imgmanifest (3.1.0, the copy imgadm bundles, and its own test suite; pipelines use
# 3.2.1), which it installs from the npm registry; it needs node and npm.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing nodejs npm (jspec)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  else
    echo "setup: node/npm missing (jspec_imgmanifest will be SKIPPED)"
  fi
fi
