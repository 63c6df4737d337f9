#!/bin/sh
# OCI workflow: build an OCI image layout from a jail's root tree (FreeBSD's make-oci-image
# shape: one gzip layer, ref.name NAME:TAG), push it to and pull it from an OCI registry, and
# unpack an image (a layout directory, or an OCI archive such as FreeBSD's
# container-image-*.txz, compressed or not) into a root tree, every layer applied in order.
# Only jtools and POSIX sh: no jq, skopeo, buildah, umoci or curl.
#
#   oci.sh build  ROOTDIR NAME:TAG OUTDIR   jsnap send --dir ROOTDIR | jspec new --format oci
#                                           --layer-compression gzip: the one gzip layer and
#                                           the layout in one pass
#   oci.sh push   OUTDIR REF                jfetch --push OUTDIR docker://REF
#   oci.sh pull   REF OUTDIR                jfetch -o OUTDIR docker://REF
#   oci.sh unpack OUTDIR|ARCHIVE ROOTDIR    every blob checked (jspec validate), then the
#                                           layers applied with jsnap recv --dir
#   oci.sh appjail OUTDIR|ARCHIVE|REF JAIL JAILSDIR
#                                           the jail `appjail oci from IMAGE JAIL` makes, without
#                                           buildah: JAILSDIR/JAIL (AppJail's JAILDIR, e.g.
#                                           /usr/local/appjail/jails) with jail/ (the image's
#                                           root), conf/config.conf (thick, osarch, osversion),
#                                           conf/template.conf (AppJail's default template plus
#                                           the org.freebsd.jail.* annotations as jail
#                                           parameters), conf/boot/oci/{user,workdir,env/NAME,
#                                           entrypoint,args} (what `appjail oci set-*` writes and
#                                           `appjail oci exec` reads), conf/labels/, conf/volumes/.
#                                           `appjail.sh export JAILSDIR/JAIL OUTDIR` then makes
#                                           the AppJail image (.appjail + .ajspec) from it
#   oci.sh bastille OUTDIR|ARCHIVE RELEASE RELEASESDIR|DATASET
#                                           a Bastille release, as `bastille bootstrap` leaves
#                                           releases/RELEASE; DATASET (e.g. zroot/bastille/
#                                           releases): its own dataset DATASET/RELEASE
#   oci.sh pot OUTDIR|ARCHIVE BASE POT_ZFS_ROOT
#                                           a pot base, as `pot create-base -b BASE` leaves
#                                           POT_ZFS_ROOT/bases/BASE (datasets usr.local, custom;
#                                           etc, root, var under opt/custom); then run
#                                           `pot create -l 0 -b BASE -p base-BASE` for its pot
#
# OUTDIR and ROOTDIR must not exist yet (their parents must); each is made beside its final
# place and renamed in only when every step succeeded. REF is HOST[:PORT]/REPO:TAG.
#
# Environment: ARCH (default: the host's; FreeBSD names are mapped as containerd does:
# aarch64 → arm64, i386 → 386), OS (freebsd), CMD (the image's command, words split at
# spaces; default /bin/sh), SOURCE_DATE_EPOCH (the image's created time; default now: with it
# the same tree gives the same digests), REF_NAME (unpack: which image of a layout holding
# several, by its ref.name), RELEASE_NAME (appjail: config.conf's release_name, default
# "default" as AppJail's DEFAULT_RELEASE), JSNAP_ZFS (the zfs command bastille and pot run to
# create datasets; default zfs), OCI_INSECURE=1 (plain http to the registry, for one on loopback),
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
	set -- --format oci --ref-name "$ref" --timestamp "$created" --created-by "oci.sh build" \
		--os "$OS" --annotation "org.opencontainers.image.title=${ref%:*}" \
		--annotation "org.opencontainers.image.version=${ref##*:}" --layer-compression gzip
	[ -z "${ARCH:-}" ] || set -- "$@" -a "$ARCH"
	for word in $CMD; do set -- "$@" --cmd "$word"; done
	# One pass, as make-oci-image.sh's tar | tee >(sha256) | gzip | sha256: jspec hashes the
	# tar for the diff_id and the gzip stream it writes for the blob digest.
	say "jsnap send --dir $root | jspec new $* -o $out -"
	# POSIX sh has no pipefail: a failed send leaves a mark the pipeline's status cannot.
	{ jsnap send --dir "$root" || : >"$stage/send.failed"; } | jspec new "$@" -o "$stage/oci" - || {
		[ ! -e "$stage/send.failed" ] || die "$root: jsnap send failed"
		die "$out: jspec new failed"
	}
	[ ! -e "$stage/send.failed" ] || die "$root: jsnap send failed"
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

# Fills NEWROOT (a path in $stage that does not exist yet) with the root file system of SRC:
# a layout directory, an OCI archive (a file), or with FROM_REF=1 a registry REF pulled first.
# Sets layout (where the layout is) and manifest (the manifest blob's path).
unpack_into() {
	local src=$1 newroot=$2 digest i l layer
	if [ "${FROM_REF:-0}" = 1 ] && [ ! -e "$src" ]; then
		case $src in
		*/*:* | */*@*) ;;
		*) die "$src: no such file or directory (and not a REF HOST[:PORT]/REPO:TAG)" ;;
		esac
		layout=$stage/pulled
		say "jfetch $(insecure) -o $layout docker://$src"
		# shellcheck disable=SC2046
		jfetch ${JFETCH_OPTS:-} $(insecure) -o "$layout" "docker://$src"
		if [ -n "${VERIFY_KEY:-}" ]; then
			[ -n "${MANIFEST_SIG:-}" ] || { printf '%s: %s: no MANIFEST_SIG given: missing signature; refused\n' "$prog" "$src" >&2; exit 1; }
			cp "$MANIFEST_SIG" "$layout/$SIG"
		fi
	elif [ -d "$src" ]; then
		layout=$src
	elif [ -e "$src" ]; then
		# An OCI archive: a tar of a layout, compressed or not. jsnap recv refuses members
		# that escape and creates the directory only when the whole tar extracted.
		layout=$stage/oci
		say "jpack -d --pass-through < $src | jsnap recv --dir $layout"
		{ jpack -d --pass-through <"$src" || : >"$stage/decode.failed"; } | jsnap recv --no-owners --dir "$layout"
		[ ! -e "$stage/decode.failed" ] || die "$src: cannot decode"
	else
		die "$src: no such file or directory"
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
		say "jpack -d --pass-through < $1 | jsnap recv --dir $newroot"
		{ jpack -d --pass-through <"$1" || : >"$stage/decode.failed"; } | jsnap recv --dir "$newroot"
		[ ! -e "$stage/decode.failed" ] || die "$1: cannot decode"
	elif [ $# = 0 ]; then
		mkdir "$newroot"
	else
		# Several layers: jsnap applies the stack in order (whiteouts delete, opaque
		# directories clear), the whole stack or nothing. Each --layer is a blob as stored.
		for l in "$@"; do set -- "$@" --layer "$l"; shift; done
		say "jsnap recv --dir $newroot $*"
		jsnap recv --dir "$newroot" "$@"
	fi
}

unpack() {
	src=$1 root=$2 target=$2
	new_path "$root"
	[ -e "$src" ] || die "$src: no such file or directory"
	stage_for "$root"
	unpack_into "$src" "$stage/root"
	mv "$stage/root" "$root"
	printf '%s\n' "$root"
}

# --- AppJail -------------------------------------------------------------------------------
# What `appjail oci from IMAGE JAIL` leaves (it runs `appjail quick JAIL from=IMAGE`,
# share/appjail/cmd/oci:580-598), in the form that needs no buildah afterwards: quick's
# container=export path (share/appjail/cmd/quick:578-593) copies the image's root into
# JAILDIR/JAIL/jail and chmods JAILDIR/JAIL 0700. Line numbers are AppJail f0b7de8 (2026-08).

# A word as jq's @sh writes it (AppJail's oci_ociv1_get_entrypoint/cmd, lib/oci; its
# entrypoint file holds these words, cmd/oci:1665-1668).
sh_word() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# A word as `appjail oci set-args` writes it: in double quotes, $ ` " \ backslashed
# (lib_escape_string, lib/replace:37-61; cmd/oci:1270-1287).
dq_word() {
	printf '"%s"' "$(printf '%s' "$1" | sed 's/[$`"\\]/\\&/g')"
}

# A template or config.conf value as appjail-config writes it (`KEY: VALUE`,
# libexec/appjail-config/template.c:897-905); one with spaces or quotes in double quotes,
# where only \" is an escape (appjail-template(5), TOKENS).
tpl_value() {
	case $1 in
	*[[:space:]\"\']* | '') printf '"%s"' "$(printf '%s' "$1" | sed 's/"/\\"/g')" ;;
	*) printf '%s' "$1" ;;
	esac
}

# `jspec show FILE` lines under PREFIX (a JSON object of strings), as "KEY VALUE" with the
# prefix removed; keys may hold dots, so the object's keys are whatever precedes ": ".
object_entries() {
	jspec show "$1" | sed -n "s/^$(printf '%s' "$2" | sed 's/[.[\*^$/]/\\&/g')\([^:]*\): \(.*\)$/\1 \2/p"
}

# The release AppJail records: `chroot JAIL freebsd-version | grep -Eo …` (lib/oci:329-362)
# without running the jail's binary: freebsd-version is a script that prints its
# USERLAND_VERSION. The image's os when the root has none (AppJail's fallback too).
os_version() {
	local root=$1 os=$2 v=
	if [ -f "$root/bin/freebsd-version" ] && [ ! -L "$root/bin/freebsd-version" ]; then
		v=$(sed -n 's/^USERLAND_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$root/bin/freebsd-version" |
			grep -Eo '[0-9]+\.[0-9]+-[a-zA-Z0-9]+' | head -n 1) || v=
	fi
	printf '%s\n' "${v:-$os}"
}

# The config's key for the image-spec field NAME (config.NAME) as buildah reads it: Go's
# encoding/json takes an exact match first, else one that differs only in case — FreeBSD's
# make-oci-image.sh writes "cmd" in lowercase, which buildah, and so AppJail, read as Cmd.
config_key() {
	jspec show "$config" | awk -v want="$1" '
		match($0, /^config\.[^.:]*[.:]/) {
			key = substr($0, 8, RLENGTH - 8)
			if (key == want) exact = key
			else if (tolower(key) == tolower(want) && folded == "") folded = key
		}
		END { print "config." (exact != "" ? exact : folded != "" ? folded : want) }'
}

appjail() {
	src=$1 name=$2 jails=$3
	printf '%s' "$name" | grep -Eq '^[a-zA-Z0-9_][a-zA-Z0-9_-]*$' || die "$name: not a jail name AppJail accepts"
	[ -d "$jails" ] || die "$jails: no such directory"
	target=$jails/$name
	new_path "$target"
	stage_for "$target"
	jail=$stage/jail
	mkdir -p "$jail/conf"
	FROM_REF=1 unpack_into "$src" "$jail/jail"
	config=$(blob "$layout" "$(jspec get "$manifest" config.digest)")
	conf=$jail/conf
	oci=$conf/boot/oci
	mkdir -p "$oci"

	# conf/config.conf: what quick sets with appjail-config (cmd/quick:767-776). The
	# architecture as oci_ociv1_get_arch maps it (lib/oci:107-131).
	arch=$(jspec get "$config" architecture)
	case $arch in
	386) arch=i386 ;;
	ppc64le | ppc64) arch=powerpc ;;
	riscv64) arch=riscv ;;
	esac
	os=$(jspec get "$config" os)
	{
		printf 'jail_type: thick\n'
		printf 'release_name: %s\n' "$(tpl_value "${RELEASE_NAME:-default}")"
		printf 'osarch: %s\n' "$(tpl_value "$arch")"
		printf 'osversion: %s\n' "$(tpl_value "$(os_version "$jail/jail" "$os")")"
	} >"$conf/config.conf"

	# conf/template.conf: AppJail's default template (share/appjail/files/default_template.conf,
	# which quick copies, cmd/quick:425-433) and a row per org.freebsd.jail.PARAM annotation of
	# the manifest, the jail parameters ocijail sets from them: "true" a bare (boolean) row.
	object_entries "$manifest" annotations.org.freebsd.jail. >"$stage/params"
	{
		printf '%s\n' 'exec.start: "/bin/sh /etc/rc"' 'exec.stop: "/bin/sh /etc/rc.shutdown jail"' mount.devfs persist
		while read -r param value; do
			printf '%s' "$param" | grep -Eq '^[a-zA-Z0-9_][a-zA-Z0-9_.-]*$' || die "annotation org.freebsd.jail.$param: not a jail parameter name"
			case $value in
			true) printf '%s\n' "$param" ;;
			*) printf '%s: %s\n' "$param" "$(tpl_value "$value")" ;;
			esac
		done <"$stage/params"
	} >"$conf/template.conf"

	# The run settings, where `appjail oci set-user|set-workdir|set-env|set-entrypoint|set-args`
	# write them and `appjail oci exec` reads them before asking buildah (head -1 of each:
	# cmd/oci:290-323, 368-383, 407-445): user, workdir, env/NAME, entrypoint, args; without
	# the newline AppJail's printf "%s" leaves off (cmd/oci:1442-1444, 1487-1496, 1534-1576).
	v=$(jspec get "$config" "$(config_key User)" 2>/dev/null) && [ -n "$v" ] && printf '%s' "$v" >"$oci/user"
	v=$(jspec get "$config" "$(config_key WorkingDir)" 2>/dev/null) && [ -n "$v" ] && printf '%s' "$v" >"$oci/workdir"
	if jspec get "$config" "$(config_key Env)" >"$stage/env" 2>/dev/null && [ -s "$stage/env" ]; then
		mkdir -p "$oci/env"
		while IFS= read -r kv; do
			key=${kv%%=*}
			# lib_check_varname (lib/check_func:87-100): the name is a file name here.
			printf '%s' "$key" | grep -Eq '^[a-zA-Z_][a-zA-Z0-9_]*$' || die "config.Env: $key: not a variable name"
			case $kv in *=*) value=${kv#*=} ;; *) value= ;; esac
			printf '%s' "$value" >"$oci/env/$key"
		done <"$stage/env"
	fi
	words=
	if jspec get "$config" "$(config_key Entrypoint)" >"$stage/words" 2>/dev/null; then
		while IFS= read -r w; do words="${words:+$words }$(sh_word "$w")"; done <"$stage/words"
		[ -z "$words" ] || printf '%s' "$words" >"$oci/entrypoint"
	fi
	words=
	if jspec get "$config" "$(config_key Cmd)" >"$stage/words" 2>/dev/null; then
		while IFS= read -r w; do words="${words:+$words }$(dq_word "$w")"; done <"$stage/words"
		[ -z "$words" ] || printf '%s' "$words" >"$oci/args"
	fi

	# Labels: quick adds each of the config's (cmd/quick:637-671) as `appjail label add`
	# does: conf/labels/NAME/value (cmd/label:63-82); a name lib_check_labelname refuses
	# (lib/check_func:246-259) stops AppJail, and here.
	object_entries "$config" "$(config_key Labels)." >"$stage/labels"
	while read -r label value; do
		printf '%s' "$label" | grep -qEe '^[a-z][a-z0-9]*((\.|-)?[a-z][a-z0-9]*)*$' || die "config.Labels: $label: not a label name AppJail accepts"
		mkdir -p "$conf/labels/$label"
		printf '%s' "$value" >"$conf/labels/$label/value"
	done <"$stage/labels"

	# Volumes: quick names each as oci_translate_volume does (lib/oci:365-377; the digest
	# of the path and a newline, as lib_mksum_str) and adds it with mountpoint:PATH
	# (cmd/quick:604-635), which `appjail volume add` writes as conf/volumes/NAME/mountpoint
	# and type <pseudofs> (cmd/volume:138-156). Always present: AppJail's image export
	# packs ./conf/volumes/.
	mkdir -p "$conf/volumes"
	object_entries "$config" "$(config_key Volumes)." >"$stage/volumes"
	while read -r mountpoint _; do
		sum=$(printf '%s\n' "$mountpoint" | jsum -q | cut -c-10)
		vol=$(printf '%s' "$mountpoint" | sed -Ee 's/_/__/g' -e 's#/#_#g' -e 's#^_##' -e "s/^(.+)$/appjail-$sum-\1/g" -e 's/[^a-zA-Z0-9_-]/-/g')
		mkdir -p "$conf/volumes/$vol"
		printf '%s' "$mountpoint" >"$conf/volumes/$vol/mountpoint"
		printf '%s' '<pseudofs>' >"$conf/volumes/$vol/type"
	done <"$stage/volumes"

	chmod 0700 "$jail"
	mv "$jail" "$target"
	printf '%s\n' "$target"
}

# --- Bastille and pot bases ------------------------------------------------------------------

# DEST's mount point when DEST is a dataset (no leading / or .), else DEST itself.
mountpoint_of() {
	case $1 in
	/* | .*) printf '%s\n' "$1" ;;
	*) "${JSNAP_ZFS:-zfs}" get -H -o value mountpoint "$1" ;;
	esac
}

# Destroys DATASET (and its children) that this run created, after a failure. zfs-fuse can
# report a file system it has just written to as busy for a moment: a few tries.
destroy_new() {
	local try
	for try in 1 2 3 4 5; do
		"${JSNAP_ZFS:-zfs}" destroy -r -f "$1" 2>/dev/null && return 0
		sleep 1
	done
	"${JSNAP_ZFS:-zfs}" destroy -r -f "$1"
}

# Copies the tree STAGEROOT into the existing directory DIR (across the file systems mounted
# under it): jsnap send | jsnap recv --dir, which extracts into what is there.
copy_tree() {
	say "jsnap send --dir $1 | jsnap recv --dir $2"
	local rc=0
	{ jsnap send --dir "$1" || : >"$stage/send.failed"; } | jsnap recv --dir "$2" || rc=$?
	[ ! -e "$stage/send.failed" ] || die "$1: jsnap send failed"
	[ $rc = 0 ] || die "$2: jsnap recv failed"
}

# What `bastille bootstrap RELEASE` leaves (usr/local/share/bastille/bootstrap.sh, bastille
# 040f806): releases/RELEASE, on ZFS its own dataset PARENT/RELEASE with mountpoint
# RELEASESDIR/RELEASE (bootstrap.sh:157-175), holding the extracted base (:277, :317) and the
# two .hushlogin files bootstrap touches (:326-331). The image's root is unpacked beside it
# first: on any failure the new dataset is destroyed and its mountpoint removed (as
# bootstrap.sh:186-204 does).
bastille() {
	src=$1 release=$2 dest=$3
	case $release in */* | .* | '') die "$release: not a release name" ;; esac
	dir=$(mountpoint_of "$dest") || die "$dest: no such dataset"
	[ -d "$dir" ] || die "$dir: no such directory"
	target=$dir/$release
	new_path "$target"
	stage_for "$target"
	unpack_into "$src" "$stage/root"
	[ ! -d "$stage/root/root" ] || : >"$stage/root/root/.hushlogin"
	[ ! -d "$stage/root/usr/share/skel" ] || : >"$stage/root/usr/share/skel/dot.hushlogin"
	case $dest in
	/* | .*) mv "$stage/root" "$target" ;;
	*)
		ds=$dest/$release
		say "zfs create -o mountpoint=$target $ds"
		"${JSNAP_ZFS:-zfs}" create -o "mountpoint=$target" "$ds"
		trap 'rc=$?; rm -rf "$stage"; [ $rc = 0 ] || { destroy_new "$ds" && rm -rf "$target"; printf "%s: %s failed; %s not created\n" "$prog" "$cmd" "$ds" >&2; }' EXIT
		copy_tree "$stage/root" "$target"
		;;
	esac
	printf '%s\n' "$target"
}

# What `pot create-base -r RELEASE -b NAME` leaves (share/pot/create-base.sh, pot 5ef4db1):
# datasets POT_ZFS_ROOT/bases/NAME (mounted where it inherits, POT_FS_ROOT/bases/NAME),
# its usr.local at usr/local and custom at opt/custom (:20-45); the base's tree with etc,
# root and var moved under opt/custom and linked back, usr.home, usr.local.etc and
# var.db.pkg linked as pot does (:49-92), and .osrelease. The level-0 pot create-base makes
# last (`pot create -l 0 -b NAME`, :95-107) is pot's own: run it after this.
pot() {
	src=$1 base=$2 potroot=$3
	case $base in */* | .* | '') die "$base: not a base name" ;; esac
	case $potroot in /* | .*) die "$potroot: a dataset (POT_ZFS_ROOT), not a directory" ;; esac
	fsroot=$(mountpoint_of "$potroot") || die "$potroot: no such dataset"
	"${JSNAP_ZFS:-zfs}" list -H -o name "$potroot/bases" >/dev/null 2>&1 ||
		"${JSNAP_ZFS:-zfs}" create "$potroot/bases"
	target=$fsroot/bases/$base
	new_path "$target"
	stage_for "$target"
	unpack_into "$src" "$stage/root"
	r=$stage/root
	release=$(os_version "$r" "$base")
	# _cb_tar_dir, in the staged tree (renames where pot copies and removes: the same result).
	(
		set -e
		cd "$r"
		printf '%s\n' "$release" >.osrelease
		mkdir -p opt/custom usr/local
		for d in root etc var; do
			if [ -d "$d" ] && [ ! -L "$d" ]; then mv "$d" opt/custom/; else rm -f "$d"; mkdir -p "opt/custom/$d"; fi
		done
		mkdir -p opt/custom/usr.local.etc opt/custom/usr.home usr/ports
		# An image with packages has usr/local/etc, usr/home or a pkg database already: pot's
		# links take their place, their contents move behind the links.
		if [ -d usr/local/etc ] && [ ! -L usr/local/etc ]; then
			(cd usr/local/etc && find . -mindepth 1 -maxdepth 1 -exec mv {} ../../../opt/custom/usr.local.etc/ \;)
			rmdir usr/local/etc
		fi
		if [ -d usr/home ] && [ ! -L usr/home ]; then
			(cd usr/home && find . -mindepth 1 -maxdepth 1 -exec mv {} ../../opt/custom/usr.home/ \;)
			rmdir usr/home
		fi
		ln -s opt/custom/etc etc
		ln -s opt/custom/root root
		ln -s opt/custom/var var
		[ -e home ] || [ -L home ] || ln -s opt/custom/usr.home home
		ln -s ../opt/custom/usr.home usr/home
		ln -s ../../opt/custom/usr.local.etc usr/local/etc
		mkdir -p usr/local/var.db.pkg opt/custom/var/db
		if [ -d opt/custom/var/db/pkg ] && [ ! -L opt/custom/var/db/pkg ]; then
			(cd opt/custom/var/db/pkg && find . -mindepth 1 -maxdepth 1 -exec mv {} ../../../../../usr/local/var.db.pkg/ \;)
		fi
		rm -rf opt/custom/var/db/pkg
		ln -s ../../../../usr/local/var.db.pkg opt/custom/var/db/pkg
	) || die "$src: cannot lay out the base as pot does"
	ds=$potroot/bases/$base
	say "zfs create $ds; zfs create -o mountpoint=$target/usr/local $ds/usr.local; zfs create -o mountpoint=$target/opt/custom $ds/custom"
	"${JSNAP_ZFS:-zfs}" create "$ds"
	trap 'rc=$?; rm -rf "$stage"; [ $rc = 0 ] || { destroy_new "$ds" && rm -rf "$target"; printf "%s: %s failed; %s not created\n" "$prog" "$cmd" "$ds" >&2; }' EXIT
	[ "$("${JSNAP_ZFS:-zfs}" get -H -o value mountpoint "$ds")" = "$target" ] ||
		die "$ds: not mounted at $target (POT_FS_ROOT must be $potroot's mountpoint)"
	"${JSNAP_ZFS:-zfs}" create -o "mountpoint=$target/usr/local" "$ds/usr.local"
	"${JSNAP_ZFS:-zfs}" create -o "mountpoint=$target/opt/custom" "$ds/custom"
	copy_tree "$r" "$target"
	printf '%s\n' "$target"
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

[ $# -ge 1 ] || die "usage: $prog build|push|pull|unpack|appjail|bastille|pot ARGS (see the comment at the top)"
cmd=$1
shift
case $cmd in
build) [ $# = 3 ] || die "usage: $prog build ROOTDIR NAME:TAG OUTDIR"; build "$@" ;;
push) [ $# = 2 ] || die "usage: $prog push OUTDIR REF"; push "$@" ;;
pull) [ $# = 2 ] || die "usage: $prog pull REF OUTDIR"; pull "$@" ;;
unpack) [ $# = 2 ] || die "usage: $prog unpack OUTDIR|ARCHIVE ROOTDIR"; unpack "$@" ;;
appjail) [ $# = 3 ] || die "usage: $prog appjail OUTDIR|ARCHIVE|REF JAIL JAILSDIR"; appjail "$@" ;;
bastille) [ $# = 3 ] || die "usage: $prog bastille OUTDIR|ARCHIVE RELEASE RELEASESDIR|DATASET"; bastille "$@" ;;
pot) [ $# = 3 ] || die "usage: $prog pot OUTDIR|ARCHIVE BASE POT_ZFS_ROOT"; pot "$@" ;;
*) die "unknown command: $cmd" ;;
esac
