# layers: tests/jsnap_layers.rs checks `jsnap send --base` and `jsnap recv --layer` against
# umoci (init, new, unpack, repack, raw add-layer, raw unpack: the reference that writes and
# applies OCI whiteouts), lists layers with bsdtar, writes hostile layers with python3's
# tarfile, sets xattrs and ACLs with setfattr/setfacl and compresses with gzip and xz.
# Checked by what the tests do with umoci (an image repacked with a whiteout and unpacked
# again), not by its name. Sourced by tests/setup.sh (set -euo pipefail) as root.
layers_umoci_works() {
  local dir rc=0
  dir=$(mktemp -d)
  (
    cd "$dir" &&
      umoci init --layout l &&
      umoci new --image l:t0 &&
      umoci unpack --image l:t0 b &&
      echo data > b/rootfs/f && echo gone > b/rootfs/g &&
      umoci repack --image l:t1 b &&
      rm b/rootfs/g &&
      umoci repack --image l:t2 b &&
      umoci raw unpack --image l:t2 root &&
      [[ -f root/f && ! -e root/g ]] &&
      printf 'x' > x && tar -cf layer.tar x &&
      umoci raw add-layer --image l:t2 --tag t3 layer.tar &&
      umoci raw unpack --image l:t3 root3 && [[ -f root3/x ]]
  ) >/dev/null 2>&1 || rc=1
  rm -rf "$dir"
  return $rc
}
layers_missing=()
for pair in umoci:umoci bsdtar:libarchive-tools python3:python3 setfattr:attr setfacl:acl \
  xz:xz-utils gzip:gzip; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || layers_missing+=("${pair#*:}")
done
if ((${#layers_missing[@]})); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: layers: installing ${layers_missing[*]}"
    flock /tmp/apt.lock sh -c 'DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null' sh "${layers_missing[@]}"
  else
    echo "setup: layers: missing ${layers_missing[*]} (jsnap_layers tests will be SKIPPED)"
  fi
fi
unset layers_missing
if [[ $(id -u) == 0 ]] && ! layers_umoci_works; then
  echo "setup: layers: umoci cannot repack and unpack an image here (jsnap_layers will FAIL)"
fi
