#!/usr/bin/env bash
# The suite's non-root code paths: every test binary of the workspace again, as an
# unprivileged user (issue #18). `make test` runs as root in CI, where tests take their root
# paths (chown on extraction, device nodes, namespaces); here the same tests take the other
# branch (no chown, as bsdtar and GNU tar do for a non-root user; jrun's refusal) and must
# pass. Tests that genuinely need root return early through `common::require_root()`
# (tests/common/privilege.rs), which in this pass (JTOOLS_UNPRIVILEGED_PASS=1) logs them as
# root-only: the summary names every one. Any failure fails the step.
#
# Run by .ci/run as root after `make test` (so the services and tools tests/setup.sh
# installs are there, and the binaries are built): it creates the user jtools-ci when
# missing and runs each test executable as that user with setpriv, with a HOME and TMPDIR
# of its own. Run as a non-root user, it runs them as that user.
#
# JTOOLS_UNPRIVILEGED_ONLY="jsnap jfetch_real" runs only those test executables (to rerun
# failures by hand; the summary then says it was a subset). CI sets nothing: all of them.
#
# Test executables come from cargo's JSON messages, not from file names, so this works
# whatever the packages are called and wherever cargo puts them. Doc tests are not run here
# (they run in `make test`; none of them depends on root).
set -euo pipefail
cd "$(dirname "$0")/../.."
user=jtools-ci
start=$SECONDS

echo "unprivileged: building the test executables"
exes=$(cargo test --workspace --no-run --message-format=json | python3 -c '
import json, os, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("profile", {}).get("test") and m.get("executable"):
        print(m["executable"] + "\t" + os.path.dirname(m["manifest_path"]))
' | sort -u)
if [[ -z $exes ]]; then
  echo "unprivileged: cargo listed no test executables" >&2
  exit 1
fi

work=$(mktemp -d /tmp/jtools-unprivileged.XXXXXX)
# Directories above the checkout that the user could not search get an ACL entry for it
# (search only, u:USER:x) for the pass, removed again at the end.
# A directory that had no ACL of its own is given back none (-b), else only that entry goes.
granted=() bare=()
cleanup() {
  local dir
  for dir in "${granted[@]}"; do setfacl -x "u:$user" "$dir" || true; done
  for dir in "${bare[@]}"; do setfacl -b "$dir" || true; done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/home" "$work/tmp" "$work/logs"
: >"$work/root-only.log"

if [[ $(id -u) == 0 ]]; then
  if ! id -u "$user" >/dev/null 2>&1; then
    echo "unprivileged: creating the user $user"
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
  fi
  chown -R "$user:" "$work/home" "$work/tmp" "$work/root-only.log"
  chmod 711 "$work"
  # The executables and the tools they run (cargo's target directory), readable by the user;
  # a checkout made with umask 022 already is, this covers a stricter one.
  target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
  chmod a+rX "$target" "$target/debug" "$target/debug/deps"
  find "$target/debug" -maxdepth 1 -type f -perm -u+x -exec chmod a+rx {} +
  [[ -d $target/tmp ]] && chmod -R a+rX "$target/tmp"
  while IFS=$'\t' read -r exe _; do chmod a+rx "$exe"; done <<<"$exes"
  as_user=(setpriv "--reuid=$user" "--regid=$user" --init-groups --)
  # Everything the tests read must be reachable: the repository, the shared corpus, the
  # target directory. Say which when not (a checkout under /root, say).
  shared=${JTOOLS_SHARED:-$PWD/../shared}
  # A checkout under a private directory (/root is 0700): let the user search the
  # directories above the repository, the corpus and the target directory, top down.
  for path in "$PWD" "$(cd "$shared" && pwd)" "$target"; do
    dir=
    IFS=/ read -ra parts <<<"${path#/}"
    for part in "${parts[@]}"; do
      dir=$dir/$part
      if ! "${as_user[@]}" test -x "$dir"; then
        echo "unprivileged: letting $user search $dir (u:$user:x, for this pass)"
        if [[ -z $(getfacl -s -p "$dir" 2>/dev/null) ]]; then bare+=("$dir"); else granted+=("$dir"); fi
        setfacl -m "u:$user:x" "$dir"
      fi
    done
  done
  for path in "$PWD/Cargo.toml" "$shared/corpus" "$(head -n1 <<<"$exes" | cut -f1)"; do
    if ! "${as_user[@]}" test -r "$path"; then
      echo "unprivileged: $user cannot read $path (a directory above it is not searchable by others)" >&2
      exit 1
    fi
  done
else
  user=$(id -un)
  as_user=()
fi

# A clean environment: what the tests need and nothing of root's (no root HOME, no
# credentials).
env_vars=(
  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  "HOME=$work/home" "TMPDIR=$work/tmp" "USER=$user" "LOGNAME=$user" "LANG=C.UTF-8"
  "RUST_BACKTRACE=1" "JTOOLS_UNPRIVILEGED_PASS=1" "JTOOLS_ROOT_ONLY_LOG=$work/root-only.log"
  "JTOOLS_REQUIRE_ALL=${JTOOLS_REQUIRE_ALL:-}"
)
[[ -n ${JTOOLS_SHARED:-} ]] && env_vars+=("JTOOLS_SHARED=$JTOOLS_SHARED")

passed=0 failed=0 binaries=0 failing=()
subset=""
while IFS=$'\t' read -r exe dir; do
  name=$(basename "$exe")
  if [[ -n ${JTOOLS_UNPRIVILEGED_ONLY:-} && " $JTOOLS_UNPRIVILEGED_ONLY " != *" ${name%-*} "* ]]; then
    subset=" (a subset: JTOOLS_UNPRIVILEGED_ONLY=$JTOOLS_UNPRIVILEGED_ONLY)"
    continue
  fi
  log=$work/logs/$name.log
  binaries=$((binaries + 1))
  t0=$SECONDS
  status=0
  (cd "$dir" && "${as_user[@]}" env -i "${env_vars[@]}" "$exe" </dev/null >"$log" 2>&1) || status=$?
  result=$(grep -E '^test result: ' "$log" | tail -n1 || true)
  p=$(sed -nE 's/.* ([0-9]+) passed.*/\1/p' <<<"$result")
  f=$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$result")
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  echo "unprivileged: ${name%-*}: ${result:-no test result} ($((SECONDS - t0)) s)"
  if ((status != 0)); then
    failing+=("${name%-*}")
    [[ -z $f || $f == 0 ]] && failed=$((failed + 1))
    # libtest's own failure report: every failing test's output, then their names.
    sed -n '/^failures:$/,$p' "$log" | head -n 300
    [[ -n $result ]] || tail -n 40 "$log"
  fi
done <<<"$exes"

root_only=$(sort -u "$work/root-only.log")
skipped=0
[[ -n $root_only ]] && skipped=$(wc -l <<<"$root_only")
echo "== unprivileged pass as $user: $binaries test executables, $((passed - skipped)) tests ran and passed," \
  "$skipped root-only (returned early, named below), $failed failed, in $((SECONDS - start)) s$subset"
if [[ -n $root_only ]]; then
  while IFS=$'\t' read -r binary test reason; do
    echo "  root-only: $binary: $test: $reason"
  done <<<"$root_only"
fi

# The mechanism itself: outside this pass, a root-only test run by a user under
# JTOOLS_REQUIRE_ALL=1 must fail, not pass by returning early. Checked on the first one.
if [[ -n $root_only && ${JTOOLS_REQUIRE_ALL:-} == 1 ]]; then
  IFS=$'\t' read -r binary test _ <<<"$(head -n1 <<<"$root_only")"
  while IFS=$'\t' read -r exe dir; do
    [[ $(basename "$exe") == "$binary"-* ]] || continue
    log=$work/logs/require-root-check.log
    outside=()
    for v in "${env_vars[@]}"; do [[ $v == JTOOLS_UNPRIVILEGED_PASS=* ]] || outside+=("$v"); done
    if (cd "$dir" && "${as_user[@]}" env -i "${outside[@]}" "$exe" --exact "$test" </dev/null >"$log" 2>&1); then
      if grep -q "^running 0 tests" "$log"; then
        echo "unprivileged: $binary has no test named exactly $test (the check selected nothing)" >&2
      else
        echo "unprivileged: $binary $test passed as $user outside the pass under JTOOLS_REQUIRE_ALL=1" >&2
      fi
      failing+=("require_root")
    elif ! grep -q "forbids skipping" "$log"; then
      echo "unprivileged: $binary $test failed outside the pass, but not as a forbidden skip:" >&2
      tail -n 20 "$log" >&2
      failing+=("require_root")
    else
      echo "unprivileged: outside the pass, $binary $test fails as it must under JTOOLS_REQUIRE_ALL=1"
    fi
    break
  done <<<"$exes"
fi

if ((${#failing[@]})); then
  echo "unprivileged: failures in ${failing[*]}" >&2
  exit 1
fi
