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
