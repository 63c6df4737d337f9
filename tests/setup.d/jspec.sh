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

# jspec: tests/jspec_aci.rs compares `jspec validate` with appc's actool, built offline
# from Debian's golang-github-appc-spec-dev (Go source in /usr/share/gocode) with golang-go.
# An `actool` that is not appc's (another tool of that name) does not count.
if ! actool version 2>/dev/null | grep -q '^actool version'; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    if ! command -v go >/dev/null 2>&1 || [[ ! -d /usr/share/gocode/src/github.com/appc/spec/actool ]]; then
      echo "setup: installing golang-go golang-github-appc-spec-dev (jspec)"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        golang-go golang-github-appc-spec-dev >/dev/null
    fi
    echo "setup: building actool (jspec)"
    actool_cache=$(mktemp -d)
    GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOCACHE="$actool_cache" \
      go build -o /usr/local/bin/actool github.com/appc/spec/actool
    rm -rf "$actool_cache"
  else
    echo "setup: actool missing (jspec_aci builds it itself if golang-go and golang-github-appc-spec-dev are there)"
  fi
fi

# jspec: tests/man.rs runs `mandoc -Tlint` on every man page.
if ! command -v mandoc >/dev/null 2>&1; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing mandoc (jspec)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mandoc >/dev/null
  else
    echo "setup: mandoc missing (man_pages_pass_mandoc_lint will be SKIPPED)"
  fi
fi
