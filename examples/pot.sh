#!/usr/bin/env bash
# pot workflow: export a ZFS dataset as pot does (<name>_<tag>.xz, .xz.meta, .xz.skein), and
# import it from a base URL the way `pot import` does (Skein-1024 over .xz then .meta checked
# before anything is received).
#
#   pot.sh export DATASET OUTDIR    snapshot DATASET, write OUTDIR/NAME_TAG.xz{,.meta,.skein}
#   pot.sh import BASEURL DATASET   fetch BASEURL/NAME_TAG.xz{.skein,.meta,}, verify, receive
#
# Environment: NAME (default: the dataset's last component), TAG (default 1.0), ORIGIN
# (POT:TAG@SNAPSHOT of a layered image's base, for .meta), JTOOLS_BIN, VERBOSE=1.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
TAG=${TAG:-1.0}

export_image() {
	local ds=$1 out=$2 snap meta_args=()
	NAME=${NAME:-${ds##*/}}
	file="$out/${NAME}_${TAG}.xz"
	mkdir -p "$out"
	trap 'rm -f "$file.part"' EXIT
	snap=$(jsnap create "$ds")
	say "jsnap send -R $snap | jpack -c xz > $file"
	jsnap send -R "$snap" | jpack -c xz >"$file.part"
	mv "$file.part" "$file"
	[ -z "${ORIGIN:-}" ] || meta_args=(--origin "$ORIGIN")
	say "jspec new --format pot-meta ${meta_args[*]} -o $file.meta"
	jspec new --format pot-meta "${meta_args[@]}" -o "$file.meta"
	say "cat $file $file.meta | jsum -q -a skein1024 -o $file.skein"
	cat "$file" "$file.meta" | jsum -q -a skein1024 -o "$file.skein"
	printf '%s\n' "$file" "$file.meta" "$file.skein"
}

import_image() {
	local base=${1%/}
	ds=$2
	NAME=${NAME:-${ds##*/}}
	name="${NAME}_${TAG}.xz"
	stage=$(mktemp -d "${TMPDIR:-/tmp}/pot-import.XXXXXX")
	trap 'rc=$?; rm -rf "$stage"; [ $rc = 0 ] || printf "%s: import of %s failed; %s not received\n" "$prog" "$name" "$ds" >&2' EXIT
	say "jfetch -o $stage/$name.skein $base/$name.skein"
	jfetch -q ${JFETCH_OPTS:-} -o "$stage/$name.skein" "$base/$name.skein"
	# Servers from before 2021 have no .meta: pot hashes the .xz alone then (an empty .meta).
	jfetch -q ${JFETCH_OPTS:-} -o "$stage/$name.meta" "$base/$name.meta" 2>/dev/null || : >"$stage/$name.meta"
	say "jfetch -o $stage/$name $base/$name"
	jfetch ${JFETCH_OPTS:-} -o "$stage/$name" "$base/$name"
	say "cat $name $name.meta | jsum -q --expect skein1024:\$(cat $name.skein)"
	cat "$stage/$name" "$stage/$name.meta" | jsum -q --expect "skein1024:$(cat "$stage/$name.skein")"
	# jsnap recv receives under a temporary name and renames: no half-received dataset.
	say "jpack -d < $name | jsnap recv -u $ds"
	jpack -d <"$stage/$name" | jsnap recv -u "$ds"
	printf '%s\n' "$ds"
}

[ $# = 3 ] || die "usage: $prog export DATASET OUTDIR | import BASEURL DATASET"
cmd=$1
shift
case $cmd in
export) export_image "$@" ;;
import) import_image "$@" ;;
*) die "unknown command: $cmd" ;;
esac
