# jspecoci: tests/jspec_oci.rs checks `jspec` on OCI images and examples/oci.sh against the
# reference tools: oci-image-tool (validate), skopeo (inspect, copy), umoci (init, new, insert,
# unpack, repack, raw unpack), minisign (verifies the manifest signature), bsdtar (FreeBSD's
# .txz archives), dash (the example runs as POSIX sh), the gzip, xz and zstd CLIs that
# compress its layers, and docker-registry (the example's push and pull, on a free loopback
# port each test starts itself). Checked by running them, not by their names.
jspecoci_tools_work() {
  local dir rc=0
  dir=$(mktemp -d)
  (
    cd "$dir" &&
      umoci init --layout l &&
      umoci new --image l:t &&
      echo data > f &&
      umoci insert --image l:t f /f &&
      umoci raw unpack --image l:t root &&
      skopeo copy oci:l:t oci-archive:a.tar:t &&
      skopeo inspect oci:l:t &&
      oci-image-tool validate --type image --ref name=t l &&
      bsdtar -C l --xz -cf l.txz . &&
      minisign -v &&
      [[ -x /usr/bin/docker-registry ]] &&
      echo x | dash -c 'read v && [ "$v" = x ]' &&
      echo x | gzip -c | gzip -dc && echo x | xz -c | xz -dc && echo x | zstd -qc | zstd -qdc
  ) >/dev/null 2>&1 || rc=1
  rm -rf "$dir"
  return $rc
}
if ! jspecoci_tools_work; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing skopeo umoci oci-image-tool minisign libarchive-tools dash gzip xz-utils zstd docker-registry (jspecoci)"
    DEBIAN_FRONTEND=noninteractive flock /tmp/apt.lock apt-get install -y -qq --no-install-recommends \
      skopeo umoci oci-image-tool minisign libarchive-tools dash gzip xz-utils zstd docker-registry >/dev/null
    jspecoci_tools_work || echo "setup: the OCI reference tools do not work (jspec_oci will FAIL)"
  else
    echo "setup: OCI reference tools missing (jspec_oci tests will be SKIPPED)"
  fi
fi
