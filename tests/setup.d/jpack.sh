# jpack: tests/jpack_reference.rs and tests/jpack_encoders_prop.rs compare jpack with the
# reference CLIs (installed by tests/setup.sh's package list); this checks the features
# those tests use rather than the names, and that the upstream conformance files are
# there (tests/jpack_conformance.rs; ../shared/corpus/conformance, not installable).
jpack_check() {
  local what=$1
  shift
  if ! "$@" >/dev/null 2>&1; then
    echo "setup: jpack tests need $what (check failed: $*)"
  fi
}
jpack_check "lz4 with the legacy format (-l) and independent blocks (-BI)" \
  bash -o pipefail -c 'printf abc | lz4 -l -BI -c | lz4 -d -c | grep -qx abc'
jpack_check "xz writing .lzma with custom LZMA1 options" \
  bash -o pipefail -c 'printf abc | xz --format=lzma --lzma1=dict=4KiB,lc=0,lp=2,pb=0 -c | xz -dc | grep -qx abc'
jpack_check "lbzip2 and bzip2 that read each other's output" \
  bash -o pipefail -c 'printf abc | lbzip2 -c | bzip2 -dc | grep -qx abc'
jpack_shared=${JTOOLS_SHARED:-$(dirname "${BASH_SOURCE[0]}")/../../../shared}
for jpack_dir in xz zstd bzip2; do
  if [[ ! -f $jpack_shared/corpus/conformance/$jpack_dir/expected.tsv ]]; then
    echo "setup: jpack conformance files missing: $jpack_shared/corpus/conformance/$jpack_dir"
  fi
done
unset -f jpack_check
unset jpack_shared jpack_dir
