# oci: tests/oci_lib.rs checks jcore::oci against the reference OCI tools: oci-image-tool
# (validate), skopeo (inspect, copy to oci: and oci-archive:) and umoci (init, new, unpack,
# repack, config, raw unpack), Debian packages of the same names. Checked by what the tests
# do with them (an image made by umoci, copied and inspected by skopeo, validated by
# oci-image-tool), not by their names.
oci_tools_work() {
  local dir rc=0
  dir=$(mktemp -d)
  (
    cd "$dir" &&
      umoci init --layout l &&
      umoci new --image l:t &&
      echo data > f &&
      umoci insert --image l:t f /f &&
      umoci raw unpack --image l:t root &&
      skopeo copy oci:l:t oci:s:t &&
      skopeo inspect oci:s:t &&
      skopeo copy oci:l:t oci-archive:a.tar:t &&
      oci-image-tool validate --type image --ref name=t l
  ) >/dev/null 2>&1 || rc=1
  rm -rf "$dir"
  return $rc
}
if ! oci_tools_work; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing skopeo umoci oci-image-tool (oci)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      skopeo umoci oci-image-tool >/dev/null
    oci_tools_work || echo "setup: skopeo/umoci/oci-image-tool do not work (oci_lib will FAIL)"
  else
    echo "setup: skopeo/umoci/oci-image-tool missing (oci_lib tests will be SKIPPED)"
  fi
fi
