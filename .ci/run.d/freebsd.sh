#!/usr/bin/env bash
# The FreeBSD code paths (jail_attach, jail_set, nmount, chflags, extattr_*) must compile and
# pass clippy: `cargo check` and `cargo clippy -D warnings` over the whole workspace (every
# tool, jcore, the tests) for x86_64-unknown-freebsd.
#
# The target's standard library is installed here, by the project (rustup). When it cannot
# be installed the step fails under JTOOLS_REQUIRE_ALL=1 (CI) and says SKIPPED otherwise.
#
# C dependencies (zstd, liblzma, bzip2, libsais) are compiled by their build scripts with
# the host's gcc: a check never links, and this machine has no FreeBSD sysroot. What is
# checked is our Rust code under target_os = "freebsd"; the vendored C libraries are the
# upstream ones that build on FreeBSD.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=x86_64-unknown-freebsd

installed() { command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx "$target"; }

if ! installed; then
  command -v rustup >/dev/null 2>&1 && rustup target add "$target" >&2 || true
fi
if ! installed; then
  if [[ ${JTOOLS_REQUIRE_ALL:-} == 1 ]]; then
    echo "freebsd: the Rust target $target could not be installed (rustup target add failed)" >&2
    exit 1
  fi
  echo "SKIPPED freebsd check: the Rust target $target could not be installed"
  exit 0
fi

export CC_x86_64_unknown_freebsd=${CC_x86_64_unknown_freebsd:-gcc}
export AR_x86_64_unknown_freebsd=${AR_x86_64_unknown_freebsd:-ar}
cargo check --workspace --all-targets --target "$target"
cargo clippy --workspace --all-targets --target "$target" -- -D warnings
echo "freebsd: the whole workspace compiles and passes clippy for $target"
