# tree: tests/jsnap_confine_walk.rs (hostile archives through openat2 and through the forced
# walk; strace tells which way was taken) and tests/jsnap_xattr.rs (archives bsdtar writes
# with --xattrs, xattrs set with setfattr) need python3, strace, bsdtar and attr.
# Sourced by tests/setup.sh (set -euo pipefail) as root.
tree_missing=()
for pair in python3:python3 strace:strace bsdtar:libarchive-tools setfattr:attr; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || tree_missing+=("${pair#*:}")
done
if ((${#tree_missing[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: tree: installing ${tree_missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${tree_missing[@]}" >/dev/null
  else
    echo "setup: tree: missing ${tree_missing[*]} (tests will be SKIPPED)"
  fi
fi
unset tree_missing
