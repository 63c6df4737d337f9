#!/usr/bin/env bash
# ACI workflow: build an appc image from an image directory holding rootfs/ — the manifest
# from jspec, the tar of exactly `manifest` and `rootfs/` from jsnap, its SHA-512 (the image
# ID) taken in the same pass, before compression — and print the ID.
#
#   aci.sh build IMAGEDIR OUT.aci    writes IMAGEDIR/manifest, OUT.aci; prints sha512-<hex>
#   aci.sh import FILE.aci DEST      checks the ID (when ID is set), unpacks manifest and
#                                    rootfs/ into DEST (created only when all went well)
#
# Environment: NAME (default example.com/<dir name>), LABELS (space-separated NAME=VALUE,
# default "os=linux arch=amd64"), EXEC (the command, word-split; default /bin/sh), CODEC
# (xz, gzip, bzip2; default xz), ID (import: the expected sha512-<hex>), JTOOLS_BIN, VERBOSE=1.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

build() {
	local dir=$1 id labels=() exec=()
	out=$2
	[ -d "$dir/rootfs" ] || die "$dir: no rootfs/ directory"
	NAME=${NAME:-example.com/$(basename "$(cd "$dir" && pwd)")}
	for l in ${LABELS:-os=linux arch=amd64}; do labels+=(--label "$l"); done
	for a in ${EXEC:-/bin/sh}; do exec+=(--exec "$a"); done
	trap 'rm -f "$out.part" "$out.id"' EXIT
	say "jspec new --format aci --name $NAME ${labels[*]} ${exec[*]} -o $dir/manifest"
	jspec new --format aci --name "$NAME" "${labels[@]}" "${exec[@]}" -o "$dir/manifest"
	say "jsnap send --dir $dir manifest rootfs | jsum --tee -a sha512 -q -o $out.id | jpack -c ${CODEC:-xz} > $out"
	jsnap send --dir "$dir" manifest rootfs | jsum --tee -a sha512 -q -o "$out.id" |
		jpack -c "${CODEC:-xz}" >"$out.part"
	mv "$out.part" "$out"
	id="sha512-$(cat "$out.id")"
	# The same ID as the appc tools compute from the file (jspec aci-id).
	[ "$id" = "$(jpack -d <"$out" | jspec aci-id -)" ] || die "$out: image ID changed after build"
	printf '%s\n' "$id"
}

import_image() {
	local id
	file=$1 dest=$2
	[ ! -e "$dest" ] || die "$dest: already exists"
	stage=$(staging_dir "$dest")
	trap 'rc=$?; rm -rf "$stage"; [ $rc = 0 ] || printf "%s: import of %s failed; %s not created\n" "$prog" "$file" "$dest" >&2' EXIT
	say "jpack -d < $file | jsum --tee -a sha512 -q -o ID | jsnap recv --dir $dest"
	jpack -d <"$file" | jsum --tee -a sha512 -q -o "$stage/id" | jsnap recv --dir "$stage/image"
	id="sha512-$(cat "$stage/id")"
	[ -z "${ID:-}" ] || [ "$ID" = "$id" ] || die "$file: image ID $id, expected $ID"
	mv -T "$stage/image" "$dest"
	printf '%s\n' "$id"
}

[ $# = 3 ] || die "usage: $prog build IMAGEDIR OUT.aci | import FILE.aci DEST"
case $1 in
build) build "$2" "$3" ;;
import) import_image "$2" "$3" ;;
*) die "unknown command: $1" ;;
esac
