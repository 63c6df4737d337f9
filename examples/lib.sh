# Shared by the example workflows (sourced): where the tools are, messages, and the
# "import next to the target, rename into place on success" rule.
# The tools come from $JTOOLS_BIN when set, otherwise from PATH.
if [ -n "${JTOOLS_BIN:-}" ]; then
	PATH="$(cd "$JTOOLS_BIN" && pwd):$PATH"
	export PATH
fi
prog=$(basename "$0")

die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 2
}

# Says what runs (on stderr, so stdout stays the data), when VERBOSE=1.
say() {
	if [ "${VERBOSE:-0}" = 1 ]; then printf '$ %s\n' "$*" >&2; fi
}

# A temporary directory beside DEST (same file system, so the final rename is atomic),
# removed on exit unless the workflow moved its content into place.
staging_dir() {
	local dest=$1 parent
	parent=$(dirname "$dest")
	mkdir -p "$parent"
	mktemp -d "$parent/.$(basename "$dest").import.XXXXXX"
}

# Signatures (jsum, minisign's files). SIGN_KEY=SECKEY: an export signs the file whose digests
# an import trusts (FILE.minisig beside it; SIGN_PASSWORD_FILE for an encrypted key). Without
# SIGN_KEY a FILE.minisig left by an earlier export is removed: it would no longer match.
sign_file() {
	local file=$1
	if [ -n "${SIGN_KEY:-}" ]; then
		say "jsum --sign -s $SIGN_KEY $file"
		jsum --sign -q -s "$SIGN_KEY" ${SIGN_PASSWORD_FILE:+--password-file "$SIGN_PASSWORD_FILE"} "$file" >&2
	else
		rm -f "$file.minisig"
	fi
}

# VERIFY_KEY=PUBKEY: FILE must carry a good signature SIG (default FILE.minisig) by that key,
# or the workflow stops here, before a digest in FILE is trusted or anything it names is
# fetched: exit 1 when the signature is missing, by another key or does not match, 2 when the
# key or signature file is malformed (jsum's line above says which).
verify_file() {
	local file=$1 sig=${2:-$1.minisig} rc=0
	[ -n "${VERIFY_KEY:-}" ] || return 0
	say "jsum --verify -p $VERIFY_KEY -x $sig $file"
	jsum --verify -q -p "$VERIFY_KEY" -x "$sig" "$file" >&2 || rc=$?
	if [ $rc != 0 ]; then
		printf '%s: %s: no good signature by %s; refused\n' "$prog" "${3:-$file}" "$VERIFY_KEY" >&2
		exit $rc
	fi
}
