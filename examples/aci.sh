#!/usr/bin/env bash
# ACI workflow: build an appc image from an image directory holding rootfs/ — the manifest
# from jspec, the tar of exactly `manifest` and `rootfs/` from jsnap, its SHA-512 (the image
# ID) taken in the same pass, before compression — and print the ID.
#
#   aci.sh build IMAGEDIR OUT.aci    writes IMAGEDIR/manifest, OUT.aci; prints sha512-<hex>
#
# Environment: NAME (default example.com/<dir name>), LABELS (space-separated NAME=VALUE,
# default "os=linux arch=amd64"), EXEC (the command, word-split; default /bin/sh), CODEC
# (xz, gzip, bzip2; default xz), JTOOLS_BIN, VERBOSE=1.
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

[ $# = 3 ] && [ "$1" = build ] || die "usage: $prog build IMAGEDIR OUT.aci"
build "$2" "$3"
