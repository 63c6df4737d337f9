#!/usr/bin/env bash
# pot workflow: export a pot's dataset as `pot export` does (<name>_<tag>.xz, .xz.meta,
# .xz.skein), and import it from a base URL the way `pot import` does (Skein-1024 over .xz
# then .meta checked before anything is received).
#
#   pot.sh export DATASET OUTDIR    snapshot DATASET and its child m (zfs snapshot -r, named by
#                                   epoch seconds), send -R, write OUTDIR/NAME_TAG.xz{,.meta,.skein},
#                                   then set :pot.tag and :pot.snap on DATASET as pot does
#   pot.sh import BASEURL DATASET   fetch BASEURL/NAME_TAG.xz{.skein,.meta,}, verify, receive the
#                                   pot and its m (mounted where they inherit their mountpoint),
#                                   and set :pot.tag and :pot.snap, which pot reads back when a
#                                   pot layered on this one is exported
#
# Environment: NAME (default: the dataset's last component), TAG (default 1.0), SNAP (default:
# date +%s), ORIGIN (POT:TAG@SNAPSHOT of a layered image's base, for .meta), RECV_OPTS (extra
# jsnap recv flags: "-x encryption" where the pool supports encryption, as pot adds),
# JTOOLS_BIN, VERBOSE=1. SIGN_KEY (a secret key from `jsum --keygen`): export signs the
# .skein (.xz.skein.minisig beside it; SIGN_PASSWORD_FILE for an encrypted key). VERIFY_KEY
# (the public key): import fetches BASEURL/NAME_TAG.xz.skein.minisig and refuses (exit 1)
# a .skein without a good signature by that key before the .meta or the image is fetched.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
TAG=${TAG:-1.0}

export_image() {
	local ds=$1 out=$2 snap meta_args=()
	NAME=${NAME:-${ds##*/}}
	file="$out/${NAME}_${TAG}.xz"
	mkdir -p "$out"
	trap 'rm -f "$file.part"' EXIT
	say "jsnap create -r $ds@${SNAP:-\$(date +%s)}"
	snap=$(jsnap create -r "$ds@${SNAP:-$(date +%s)}")
	say "jsnap send -R $snap | jpack -c xz > $file"
	jsnap send -R "$snap" | jpack -c xz >"$file.part"
	mv "$file.part" "$file"
	[ -z "${ORIGIN:-}" ] || meta_args=(--origin "$ORIGIN")
	say "jspec new --format pot-meta ${meta_args[*]} -o $file.meta"
	jspec new --format pot-meta "${meta_args[@]}" -o "$file.meta"
	say "cat $file $file.meta | jsum -q -a skein1024 -o $file.skein"
	cat "$file" "$file.meta" | jsum -q -a skein1024 -o "$file.skein"
	sign_file "$file.skein"
	set_pot_tag "$ds" "${snap#*@}"
	printf '%s\n' "$file" "$file.meta" "$file.skein"
	[ -z "${SIGN_KEY:-}" ] || printf '%s\n' "$file.skein.minisig"
}

import_image() {
	local base=${1%/}
	ds=$2
	NAME=${NAME:-${ds##*/}}
	name="${NAME}_${TAG}.xz"
	stage=$(mktemp -d "${TMPDIR:-/tmp}/pot-import.XXXXXX")
	outcome="$ds not received"
	trap 'rc=$?; rm -rf "$stage"; [ $rc = 0 ] || printf "%s: import of %s failed; %s\n" "$prog" "$name" "$outcome" >&2' EXIT
	say "jfetch -o $stage/$name.skein $base/$name.skein"
	jfetch -q ${JFETCH_OPTS:-} -o "$stage/$name.skein" "$base/$name.skein"
	if [ -n "${VERIFY_KEY:-}" ]; then
		# Only the .skein is signed: it covers the .xz and the .meta, which are checked
		# against it below before anything is received. A missing signature (fetch failed)
		# is refused by jsum as such.
		say "jfetch -o $stage/$name.skein.minisig $base/$name.skein.minisig"
		jfetch -q ${JFETCH_OPTS:-} -o "$stage/$name.skein.minisig" "$base/$name.skein.minisig" 2>/dev/null || :
		verify_file "$stage/$name.skein" "$stage/$name.skein.minisig" "$base/$name.skein"
	fi
	# Servers from before 2021 have no .meta: pot hashes the .xz alone then (an empty .meta).
	jfetch -q ${JFETCH_OPTS:-} -o "$stage/$name.meta" "$base/$name.meta" 2>/dev/null || : >"$stage/$name.meta"
	say "jfetch -o $stage/$name $base/$name"
	jfetch ${JFETCH_OPTS:-} -o "$stage/$name" "$base/$name"
	say "cat $name $name.meta | jsum -q --expect skein1024:\$(cat $name.skein)"
	cat "$stage/$name" "$stage/$name.meta" | jsum -q --expect "skein1024:$(cat "$stage/$name.skein")"
	# jsnap recv receives under a temporary name and renames: no half-received dataset.
	# pot's plain import mounts what it received (its layered import mounts after `zfs
	# inherit mountpoint …/m`); jsnap recv mounts each file system where it inherits its
	# mountpoint, never over one in use.
	say "jpack -d < $name | jsnap recv ${RECV_OPTS:-} $ds"
	# From here on jsnap's own line says whether the dataset was received (a failed mount
	# keeps it).
	outcome="see the line above"
	# shellcheck disable=SC2086 # RECV_OPTS is a list of flags
	jpack -d <"$stage/$name" | jsnap recv ${RECV_OPTS:-} "$ds"
	snap=$(jsnap list "$ds" | tail -n 1)
	[ -n "$snap" ] || die "$ds: no snapshot received"
	set_pot_tag "$ds" "${snap#*@}"
	printf '%s\n' "$ds"
}

# What `pot export` sets on success and reads back (`zfs get :pot.tag` of a layered pot's
# origin, and with -c of the pot itself): jsnap has no property setter, so zfs sets them.
set_pot_tag() {
	say "zfs set :pot.tag=$TAG $1; zfs set :pot.snap=$2 $1"
	"${JSNAP_ZFS:-zfs}" set ":pot.tag=$TAG" "$1"
	"${JSNAP_ZFS:-zfs}" set ":pot.snap=$2" "$1"
}

[ $# = 3 ] || die "usage: $prog export DATASET OUTDIR | import BASEURL DATASET"
cmd=$1
shift
case $cmd in
export) export_image "$@" ;;
import) import_image "$@" ;;
*) die "unknown command: $cmd" ;;
esac
