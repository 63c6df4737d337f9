#!/bin/sh
# OCI workflow: build an OCI image layout from a jail's root tree (FreeBSD's make-oci-image
# shape: one gzip layer, ref.name NAME:TAG), push it to and pull it from an OCI registry, and
# unpack an image (a layout directory, or an OCI archive such as FreeBSD's
# container-image-*.txz, compressed or not) into a root tree, every layer applied in order.
# Only jtools and POSIX sh: no jq, skopeo, buildah, umoci or curl.
#
#   oci.sh build  ROOTDIR NAME:TAG OUTDIR   jsnap send --dir ROOTDIR | jpack -c gzip is the
#                                           layer; jspec new --format oci writes the layout
#   oci.sh push   OUTDIR REF                jfetch --push OUTDIR docker://REF
#   oci.sh pull   REF OUTDIR                jfetch -o OUTDIR docker://REF
#   oci.sh unpack OUTDIR|ARCHIVE ROOTDIR    every blob checked (jspec validate), then the
#                                           layers applied with jsnap recv --dir
#
# OUTDIR and ROOTDIR must not exist yet (their parents must); each is made beside its final
# place and renamed in only when every step succeeded. REF is HOST[:PORT]/REPO:TAG.
#
# Environment: ARCH (default: the host's; FreeBSD names are mapped as containerd does:
# aarch64 → arm64, i386 → 386), OS (freebsd), CMD (the image's command, words split at
# spaces; default /bin/sh), SOURCE_DATE_EPOCH (the image's created time; default now: with it
# the same tree gives the same digests), REF_NAME (unpack: which image of a layout holding
# several, by its ref.name), OCI_INSECURE=1 (plain http to the registry, for one on loopback),
# JTOOLS_BIN (directory of the tools), VERBOSE=1 (print each command).
#
# Signatures: with SIGN_KEY (a secret key from `jsum --keygen`; SIGN_PASSWORD_FILE for an
# encrypted one) build signs the manifest's bytes — the blob index.json names, whose digest
# pins the config and every layer — with a detached minisign signature, OUTDIR/manifest.minisig
# (in the layout's root, where OCI tools ignore it, and so inside an archive made of the
# layout). With VERIFY_KEY (the public key) unpack verifies it before any layer is read: a
# missing signature, another key's or a manifest changed since: exit 1, nothing unpacked.
# A registry does not carry the file: publish it beside the image (as an .ajspec.minisig is)
# and give it to pull as MANIFEST_SIG=FILE|URL; pull with VERIFY_KEY verifies the pulled
# manifest against it (exit 1, nothing kept, when it does not verify or is not given) and
# keeps it as OUTDIR/manifest.minisig, so a later unpack verifies it again.
set -eu
# stage is global: the EXIT traps use it after the functions return.
. "$(dirname "$0")/lib.sh"

OS=${OS:-freebsd}
CMD=${CMD:-/bin/sh}
SIG=manifest.minisig

insecure() {
	if [ "${OCI_INSECURE:-0}" = 1 ]; then printf '%s\n' --plain-http; fi
}

# A new directory's parent must exist and the directory itself must not.
new_path() {
	[ ! -e "$1" ] || die "$1: already exists"
	[ -d "$(dirname "$1")" ] || die "$(dirname "$1"): no such directory"
}

# A staging directory beside $1 (same file system: the final rename is atomic), removed on exit.
stage_for() {
	stage=$(mktemp -d "$(dirname "$1")/.$(basename "$1").oci.XXXXXX")
	trap 'rc=$?; rm -rf "$stage"; [ $rc = 0 ] || printf "%s: %s failed; %s not created\n" "$prog" "$cmd" "$target" >&2' EXIT
}

# The manifest of LAYOUT's image: "DIGEST" of index.json's entry (the one named REF_NAME when
# set, else the only one). Exit 1 when the index does not say.
manifest_digest() {
	local layout=$1 i=0 found= digest name media
	while digest=$(jspec get "$layout/index.json" "manifests.$i.digest" 2>/dev/null); do
		name=$(jspec get "$layout/index.json" "manifests.$i.annotations.org.opencontainers.image.ref.name" 2>/dev/null) || name=
		if [ -z "${REF_NAME:-}" ] || [ "$name" = "$REF_NAME" ]; then
			[ -z "$found" ] || die "$layout: several images; choose one with REF_NAME"
			found=$digest
			media=$(jspec get "$layout/index.json" "manifests.$i.mediaType")
			case $media in
			application/vnd.oci.image.manifest.v1+json | application/vnd.docker.distribution.manifest.v2+json) ;;
			*) die "$layout: manifests.$i is $media, not an image manifest (pull one platform)" ;;
			esac
		fi
		i=$((i + 1))
	done
	[ -n "$found" ] || die "$layout: no image${REF_NAME:+ named $REF_NAME}"
	printf '%s\n' "$found"
}

blob() {
	printf '%s/blobs/%s\n' "$1" "$(printf '%s' "$2" | sed 's/:/\//')"
}

# VERIFY_KEY set: the manifest blob must match its digest and carry a good signature SIGFILE.
verify_manifest() {
	local layout=$1 sigfile=$2 what=$3 digest file
	[ -n "${VERIFY_KEY:-}" ] || return 0
	digest=$(manifest_digest "$layout")
	file=$(blob "$layout" "$digest")
	say "jsum --expect $digest $file"
	jsum -q --expect "$digest" "$file" >&2 || { printf '%s: %s: manifest does not match its digest\n' "$prog" "$what" >&2; exit 1; }
	verify_file "$file" "$sigfile" "$what"
}

build() {
	root=$1 ref=$2 out=$3 target=$3
	[ -d "$root" ] || die "$root: not a directory"
	case $ref in
	*:*) ;;
	*) die "$ref: expected NAME:TAG" ;;
	esac
	new_path "$out"
	stage_for "$out"
	created=${SOURCE_DATE_EPOCH:-$(date +%s)}
	say "jsnap send --dir $root | jpack -c gzip > $stage/layer.tar.gz"
	# POSIX sh has no pipefail: a failed send leaves a mark the pipeline's status cannot.
	{ jsnap send --dir "$root" || : >"$stage/send.failed"; } | jpack -c gzip >"$stage/layer.tar.gz"
	[ ! -e "$stage/send.failed" ] || die "$root: jsnap send failed"
	set -- --format oci --ref-name "$ref" --timestamp "$created" --created-by "oci.sh build" \
		--os "$OS" --annotation "org.opencontainers.image.title=${ref%:*}" \
		--annotation "org.opencontainers.image.version=${ref##*:}"
	[ -z "${ARCH:-}" ] || set -- "$@" -a "$ARCH"
	for word in $CMD; do set -- "$@" --cmd "$word"; done
	say "jspec new $* -o $out $stage/layer.tar.gz"
	jspec new "$@" -o "$stage/oci" "$stage/layer.tar.gz"
	if [ -n "${SIGN_KEY:-}" ]; then
		digest=$(manifest_digest "$stage/oci")
		file=$(blob "$stage/oci" "$digest")
		say "jsum --sign -s $SIGN_KEY -x $out/$SIG $file"
		jsum --sign -q -s "$SIGN_KEY" ${SIGN_PASSWORD_FILE:+--password-file "$SIGN_PASSWORD_FILE"} \
			-x "$stage/oci/$SIG" "$file" >&2
	fi
	mv "$stage/oci" "$out"
	printf '%s\n' "$out"
}

unpack() {
	src=$1 root=$2 target=$2
	new_path "$root"
	[ -e "$src" ] || die "$src: no such file or directory"
	stage_for "$root"
	if [ -d "$src" ]; then
		layout=$src
	else
		# An OCI archive: a tar of a layout, compressed or not. jsnap recv refuses members
		# that escape and creates the directory only when the whole tar extracted.
		layout=$stage/oci
		say "jpack -d --pass-through < $src | jsnap recv --dir $layout"
		{ jpack -d --pass-through <"$src" || : >"$stage/decode.failed"; } | jsnap recv --no-owners --dir "$layout"
		[ ! -e "$stage/decode.failed" ] || die "$src: cannot decode"
	fi
	# Before any layer is read: the manifest must be the one a trusted key signed.
	verify_manifest "$layout" "$layout/$SIG" "$src"
	say "jspec validate $layout"
	jspec validate "$layout" >"$stage/validate.out" || {
		rc=$?
		cat "$stage/validate.out" >&2
		exit $rc
	}
	digest=$(manifest_digest "$layout")
	manifest=$(blob "$layout" "$digest")
	set --
	i=0
	while layer=$(jspec get "$manifest" "layers.$i.digest" 2>/dev/null); do
		set -- "$@" "$(blob "$layout" "$layer")"
		i=$((i + 1))
	done
	if [ $# = 1 ]; then
		say "jpack -d --pass-through < $1 | jsnap recv --dir $root"
		{ jpack -d --pass-through <"$1" || : >"$stage/decode.failed"; } | jsnap recv --dir "$stage/root"
		[ ! -e "$stage/decode.failed" ] || die "$1: cannot decode"
	elif [ $# = 0 ]; then
		mkdir "$stage/root"
	else
		# Several layers: jsnap applies the stack in order (whiteouts delete, opaque
		# directories clear), the whole stack or nothing. Each --layer is a blob as stored.
		for l in "$@"; do set -- "$@" --layer "$l"; shift; done
		say "jsnap recv --dir $root $*"
		jsnap recv --dir "$stage/root" "$@"
	fi
	mv "$stage/root" "$root"
	printf '%s\n' "$root"
}

push() {
	out=$1 ref=$2
	[ -d "$out" ] || die "$out: not a layout directory"
	say "jfetch $(insecure) --push $out docker://$ref"
	# shellcheck disable=SC2046 # insecure prints one word or none
	jfetch ${JFETCH_OPTS:-} $(insecure) --push "$out" "docker://$ref"
}

pull() {
	ref=$1 out=$2 target=$2
	new_path "$out"
	stage_for "$out"
	say "jfetch $(insecure) -o $out docker://$ref"
	# shellcheck disable=SC2046
	jfetch ${JFETCH_OPTS:-} $(insecure) -o "$stage/oci" "docker://$ref"
	if [ -n "${VERIFY_KEY:-}" ]; then
		case ${MANIFEST_SIG:-} in
		'') printf '%s: %s: no MANIFEST_SIG given: missing signature; refused\n' "$prog" "$ref" >&2; exit 1 ;;
		http://* | https://* | file://*)
			say "jfetch -o $out/$SIG $MANIFEST_SIG"
			jfetch ${JFETCH_OPTS:-} -o "$stage/oci/$SIG" "$MANIFEST_SIG" ;;
		*) cp "$MANIFEST_SIG" "$stage/oci/$SIG" ;;
		esac
		verify_manifest "$stage/oci" "$stage/oci/$SIG" "$ref"
	fi
	mv "$stage/oci" "$out"
	printf '%s\n' "$out"
}

[ $# -ge 1 ] || die "usage: $prog build|push|pull|unpack ARGS (see the comment at the top)"
cmd=$1
shift
case $cmd in
build) [ $# = 3 ] || die "usage: $prog build ROOTDIR NAME:TAG OUTDIR"; build "$@" ;;
push) [ $# = 2 ] || die "usage: $prog push OUTDIR REF"; push "$@" ;;
pull) [ $# = 2 ] || die "usage: $prog pull REF OUTDIR"; pull "$@" ;;
unpack) [ $# = 2 ] || die "usage: $prog unpack OUTDIR|ARCHIVE ROOTDIR"; unpack "$@" ;;
*) die "unknown command: $cmd" ;;
esac
