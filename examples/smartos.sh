#!/usr/bin/env bash
# SmartOS workflow: export a ZFS dataset (full or incremental) as a gzip zfs stream with an
# imgadm manifest, publish it in an IMGAPI-style directory (UUID/file), and install it the way
# imgadm does: size and SHA-1 checked before the stream is received.
#
#   smartos.sh export DATASET OUTDIR       OUTDIR/NAME-VERSION.zfs.gz and NAME-VERSION.json
#   smartos.sh publish MANIFEST SERVERDIR  SERVERDIR/UUID/file and SERVERDIR/UUID/manifest
#                                          (and UUID/manifest.minisig when it is signed)
#   smartos.sh import MANIFEST BASEURL DATASET
#                                          fetch BASEURL/UUID/file, check, receive into DATASET
#
# Environment: NAME (default: the dataset's last component), VERSION (default 1.0.0; also the
# snapshot name), FROM (earlier snapshot name: an incremental image) with ORIGIN (the UUID of
# that earlier image), OS (default other), TYPE (default zone-dataset), JTOOLS_BIN, VERBOSE=1.
# SIGN_KEY (a secret key from `jsum --keygen`): export signs the manifest's bytes
# (NAME-VERSION.json.minisig; SIGN_PASSWORD_FILE for an encrypted key). VERIFY_KEY (the
# public key): import refuses (exit 1, nothing fetched) a MANIFEST without a good
# MANIFEST.minisig by that key.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
VERSION=${VERSION:-1.0.0}

export_image() {
	local ds=$1 out=$2 from=() origin=()
	NAME=${NAME:-${ds##*/}}
	file="$out/$NAME-$VERSION.zfs.gz"
	mkdir -p "$out"
	trap 'rm -f "$file.part"' EXIT
	if [ -n "${FROM:-}" ]; then
		[ -n "${ORIGIN:-}" ] || die "FROM needs ORIGIN, the UUID of the image of @$FROM"
		from=(--from "@$FROM")
		origin=(--origin "$ORIGIN")
	fi
	jsnap create "$ds@$VERSION" >/dev/null
	say "jsnap send $ds@$VERSION ${from[*]} | jpack -c gzip > $file"
	jsnap send "$ds@$VERSION" "${from[@]}" | jpack -c gzip >"$file.part"
	mv "$file.part" "$file"
	say "jspec new --format imgadm --name $NAME --version $VERSION ${origin[*]} -o $out/$NAME-$VERSION.json $file"
	jspec new --format imgadm --name "$NAME" --version "$VERSION" --os "${OS:-other}" \
		--type "${TYPE:-zone-dataset}" "${origin[@]}" -o "$out/$NAME-$VERSION.json" "$file"
	sign_file "$out/$NAME-$VERSION.json"
	printf '%s\n' "$file" "$out/$NAME-$VERSION.json"
	[ -z "${SIGN_KEY:-}" ] || printf '%s\n' "$out/$NAME-$VERSION.json.minisig"
}

publish() {
	local manifest=$1 server=$2 uuid file
	uuid=$(jspec get "$manifest" uuid)
	file="$(dirname "$manifest")/$(basename "$manifest" .json).zfs.gz"
	mkdir -p "$server/$uuid"
	cp "$file" "$server/$uuid/.file.tmp"
	mv "$server/$uuid/.file.tmp" "$server/$uuid/file"
	if [ -e "$manifest.minisig" ]; then
		cp "$manifest.minisig" "$server/$uuid/manifest.minisig"
	else
		rm -f "$server/$uuid/manifest.minisig"
	fi
	cp "$manifest" "$server/$uuid/manifest"
	printf '%s\n' "$server/$uuid/file"
}

import_image() {
	local base=$2
	manifest=$1 ds=$3
	stage=$(mktemp -d "${TMPDIR:-/tmp}/imgadm-import.XXXXXX")
	trap 'rc=$?; rm -rf "$stage"; [ $rc = 0 ] || printf "%s: import of %s failed; %s not received\n" "$prog" "$manifest" "$ds" >&2' EXIT
	# The copy that verified is the one read from here on.
	cp "$manifest" "$stage/manifest"
	if [ -n "${VERIFY_KEY:-}" ]; then
		cp "$manifest.minisig" "$stage/manifest.minisig" 2>/dev/null || :
		verify_file "$stage/manifest" "$stage/manifest.minisig" "$manifest"
	fi
	jspec validate "$stage/manifest" >/dev/null
	# The whole file first: the stream is received only once its size and SHA-1 match.
	say "jfetch --spec $manifest --source-base $base -o $stage/file"
	jfetch ${JFETCH_OPTS:-} --spec "$stage/manifest" --source-base "$base" -o "$stage/file"
	say "jpack -d < file | jsnap recv $ds"
	jpack -d <"$stage/file" | jsnap recv "$ds"
	printf '%s\n' "$ds"
}

[ $# -ge 1 ] || die "usage: $prog export|publish|import ARGS (see the comment at the top)"
cmd=$1
shift
case $cmd in
export) [ $# = 2 ] || die "usage: $prog export DATASET OUTDIR"; export_image "$@" ;;
publish) [ $# = 2 ] || die "usage: $prog publish MANIFEST SERVERDIR"; publish "$@" ;;
import) [ $# = 3 ] || die "usage: $prog import MANIFEST BASEURL DATASET"; import_image "$@" ;;
*) die "unknown command: $cmd" ;;
esac
