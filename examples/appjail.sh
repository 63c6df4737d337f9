#!/usr/bin/env bash
# AppJail workflow: export a jail directory as <tag>-<arch>-image.appjail with its .ajspec,
# publish it to a mirror directory, import it from the .ajspec's mirrors, run a command in it.
#
#   appjail.sh export  JAILDIR OUTDIR    JAILDIR holds jail/, init, conf/volumes/, conf/config.conf
#   appjail.sh publish OUTDIR MIRRORDIR  copies image and .ajspec (and .ajspec.minisig) to
#                                        MIRRORDIR/NAME/
#   appjail.sh import  AJSPEC DEST       fetches (mirror fallback, SHA-256 and size checked),
#                                        unpacks into DEST (created only when all went well)
#   appjail.sh run     DEST CMD...       runs CMD in a throw-away jail on DEST/jail (root)
#
# Environment: NAME (image name, default: the jail directory's name), TAG (default latest),
# ARCH (default: the host's, as `uname -m`), CODEC (xz), MIRRORS (space-separated base URLs:
# each source is MIRROR/NAME/TAG-ARCH-image.appjail), JTOOLS_BIN (directory of the tools),
# VERBOSE=1 (print each command). SIGN_KEY (a secret key from `jsum --keygen`): export signs
# the .ajspec (.ajspec.minisig beside it, published with it); SIGN_PASSWORD_FILE for an
# encrypted key. VERIFY_KEY (the public key): import refuses (exit 1, nothing fetched) an
# .ajspec without a good AJSPEC.minisig by that key.
set -euo pipefail
# image, stage, spec and dest are global: the EXIT traps use them after the functions return.
. "$(dirname "$0")/lib.sh"

TAG=${TAG:-latest}
ARCH=${ARCH:-$(uname -m | sed 's/^x86_64$/amd64/')}
CODEC=${CODEC:-xz}
MIRRORS=${MIRRORS:-}
image_name() { printf '%s-%s-image.appjail' "$TAG" "$ARCH"; }

export_image() {
	local jail=$1 out=$2 sum
	[ -d "$jail/jail" ] || die "$jail: not a jail directory (no jail/)"
	NAME=${NAME:-$(basename "$(cd "$jail" && pwd)")}
	mkdir -p "$out"
	image="$out/$(image_name)"
	# The four members AppJail's import asks bsdtar for; an empty init is made if missing,
	# as `appjail image export` does.
	[ -e "$jail/init" ] || install -m 755 /dev/null "$jail/init"
	mkdir -p "$jail/conf/volumes"
	[ -e "$jail/conf/config.conf" ] || : >"$jail/conf/config.conf"
	say "jsnap send --dir $jail ./jail/ ./init ./conf/volumes/ ./conf/config.conf | jpack -c $CODEC | jsum --tee -q -o $image.sha256 > $image"
	# Written beside the image and renamed only when every stage succeeded.
	trap 'rm -f "$image.part" "$image.sha256"' EXIT
	jsnap send --dir "$jail" ./jail/ ./init ./conf/volumes/ ./conf/config.conf |
		jpack -c "$CODEC" |
		jsum --tee -q -o "$image.sha256" >"$image.part"
	mv "$image.part" "$image"
	local sources=()
	for m in $MIRRORS; do sources+=(--source "${m%/}/$NAME/$(image_name)"); done
	local spec="$out/.ajspec" mode=()
	[ -e "$spec" ] && mode=(--update "$spec")
	say "jspec new --format ajspec --name $NAME -t $TAG -a $ARCH ${sources[*]} $image"
	if [ ${#mode[@]} -gt 0 ]; then
		jspec new --format ajspec "${mode[@]}" --name "$NAME" -t "$TAG" -a "$ARCH" "${sources[@]}" "$image"
	else
		jspec new --format ajspec --name "$NAME" -t "$TAG" -a "$ARCH" "${sources[@]}" -o "$spec" "$image"
	fi
	# The digest taken while the image streamed is the one the .ajspec records.
	sum=$(jspec get -t "$TAG" "$spec" "sum:$ARCH")
	[ "$sum" = "$(cat "$image.sha256")" ] || die "$image: digest changed after export"
	sign_file "$spec"
	printf '%s\n%s\n' "$image" "$spec"
	[ -z "${SIGN_KEY:-}" ] || printf '%s\n' "$spec.minisig"
}

publish() {
	local out=$1 mirror=$2 name
	name=$(jspec get -t "$TAG" "$out/.ajspec" name)
	mkdir -p "$mirror/$name"
	cp "$out/$(image_name)" "$mirror/$name/.$(image_name).tmp"
	mv "$mirror/$name/.$(image_name).tmp" "$mirror/$name/$(image_name)"
	# The signature goes with the .ajspec; an unsigned export takes a stale one away.
	if [ -e "$out/.ajspec.minisig" ]; then
		cp "$out/.ajspec.minisig" "$mirror/$name/.ajspec.minisig"
	else
		rm -f "$mirror/$name/.ajspec.minisig"
	fi
	cp "$out/.ajspec" "$mirror/$name/.ajspec"
	printf '%s\n' "$mirror/$name/$(image_name)"
}

import_image() {
	spec=$1 dest=$2
	[ ! -e "$dest" ] || die "$dest: already exists"
	stage=$(staging_dir "$dest")
	# Whatever happens, the staging directory goes; DEST exists only after the rename.
	trap 'rc=$?; rm -rf "$stage"; [ $rc = 0 ] || printf "%s: import of %s failed; %s not created\n" "$prog" "$spec" "$dest" >&2' EXIT
	local use=$spec
	if [ -n "${VERIFY_KEY:-}" ]; then
		# The copy that verified is the one jfetch reads: no window to swap the .ajspec.
		cp "$spec" "$stage/ajspec"
		cp "$spec.minisig" "$stage/ajspec.minisig" 2>/dev/null || :
		verify_file "$stage/ajspec" "$stage/ajspec.minisig" "$spec"
		use=$stage/ajspec
	fi
	say "jfetch --spec $spec -t $TAG -a $ARCH | jpack -d | jsnap recv --dir $dest"
	jfetch ${JFETCH_OPTS:-} --spec "$use" -t "$TAG" -a "$ARCH" |
		jpack -d |
		jsnap recv --dir "$stage/root"
	mv -T "$stage/root" "$dest"
	printf '%s\n' "$dest"
}

run_in() {
	local dest=$1
	shift
	say "jrun --root $dest/jail -- $*"
	jrun --root "$dest/jail" -- "$@"
}

[ $# -ge 1 ] || die "usage: $prog export|publish|import|run ARGS (see the comment at the top)"
cmd=$1
shift
case $cmd in
export) [ $# = 2 ] || die "usage: $prog export JAILDIR OUTDIR"; export_image "$@" ;;
publish) [ $# = 2 ] || die "usage: $prog publish OUTDIR MIRRORDIR"; publish "$@" ;;
import) [ $# = 2 ] || die "usage: $prog import AJSPEC DEST"; import_image "$@" ;;
run) [ $# -ge 2 ] || die "usage: $prog run DEST CMD..."; run_in "$@" ;;
*) die "unknown command: $cmd" ;;
esac
