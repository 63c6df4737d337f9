#!/usr/bin/env bash
# Bastille workflow: export a jail as `bastille export` does (<jail>_<DATE>.txz|.tgz|.tzst, a
# tar of <jail>/ with root/ inside; or .xz|.gz|.zst or no extension (raw), a `zfs send -R`
# stream of the jail's dataset and its child root) with the .sha256 file (the bare digest),
# and import such a file, checking the .sha256 first.
#
#   bastille.sh export JAILDIR|DATASET OUTDIR   tar formats from a directory, stream formats from a dataset
#   bastille.sh import FILE JAILSDIR|DATASET    the format comes from FILE's name, as in Bastille
#
# Names follow what `bastille import` accepts (usr/local/share/bastille/import.sh): the whole
# file name is <jail>_<YYYY-MM-DD-HHMMSS> plus one of .txz .tgz .tzst .xz .gz .zst or nothing
# (raw); the checksum file is <jail>_<DATE>.sha256 (no format extension) holding
# `sha256 -q FILE`: 64 lowercase hex digits and LF. A tar export's one top-level directory is
# the jail name. A stream export snapshots recursively (zfs snapshot -r
# DATASET@bastille_<jail>_<DATE>), sends -R and destroys the temporary snapshots, as Bastille.
#
# Environment: FORMAT (txz, tgz, tzst, xz, gz, zst, raw; default txz), NAME (default: the jail
# directory's or dataset's name), DATE (default: now, date +%F-%H%M%S), RECV_OPTS (extra jsnap
# recv flags), JTOOLS_BIN, VERBOSE=1. SIGN_KEY (a secret key from `jsum --keygen`): export
# signs the .sha256 (<jail>_<DATE>.sha256.minisig; SIGN_PASSWORD_FILE for an encrypted key).
# VERIFY_KEY (the public key): import refuses (exit 1) a .sha256 without a good signature by
# that key before its digest is trusted.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
FORMAT=${FORMAT:-txz}
DATE_RE='[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{6}'

codec() {
	case $1 in
	txz | xz) echo xz ;;
	tgz | gz) echo gzip ;;
	tzst | zst) echo zstd ;;
	raw) echo none ;;
	*) die "unsupported format: $1 (txz, tgz, tzst, xz, gz, zst, raw)" ;;
	esac
}

# The file name's extension for a format (raw: none).
extension() {
	case $1 in
	raw) echo "" ;;
	*) echo ".$1" ;;
	esac
}

# Compresses stdin with a codec (none: as it is).
compress() {
	if [ "$1" = none ]; then cat; else jpack -c "$1"; fi
}

export_image() {
	local src=$1 out=$2 base codec date
	codec=$(codec "$FORMAT")
	NAME=${NAME:-$(basename "$src")}
	date=${DATE:-$(date +%F-%H%M%S)}
	[[ $date =~ ^$DATE_RE$ ]] || die "$date: not a Bastille date stamp (YYYY-MM-DD-HHMMSS, date +%F-%H%M%S)"
	case $NAME in
	*/* | '' | .*) die "$NAME: not a jail name" ;;
	esac
	base="$out/${NAME}_$date"
	file="$base$(extension "$FORMAT")"
	mkdir -p "$out"
	trap 'rm -f "$file.part"' EXIT
	case $FORMAT in
	txz | tgz | tzst)
		[ -d "$src" ] || die "$src: not a directory (a .$FORMAT export archives a jail directory)"
		# Bastille's import strips the top directory, whose name is the jail's.
		[ "$(basename "$src")" = "$NAME" ] || die "$src: a tar export's top directory is the jail name ($NAME)"
		say "jsnap send --dir $(dirname "$src") $NAME | jpack -c $codec | jsum --tee -q -o $base.sha256 > $file"
		jsnap send --dir "$(dirname "$src")" "$NAME" | jpack -c "$codec" |
			jsum --tee -q -o "$base.sha256" >"$file.part"
		;;
	*)
		# Global: the EXIT trap destroys the temporary snapshots after the function returned.
		snap=$(jsnap create -r "$src@bastille_${NAME}_$date")
		trap 'rm -f "$file.part"; jsnap destroy -r "$snap" || :' EXIT
		say "jsnap send -R $snap | jpack -c $codec | jsum --tee -q -o $base.sha256 > $file"
		jsnap send -R "$snap" | compress "$codec" | jsum --tee -q -o "$base.sha256" >"$file.part"
		;;
	esac
	mv "$file.part" "$file"
	sign_file "$base.sha256"
	printf '%s\n' "$file" "$base.sha256"
	[ -z "${SIGN_KEY:-}" ] || printf '%s\n' "$base.sha256.minisig"
}

import_image() {
	local target=$2 base ext name file_name
	file=$1
	file_name=$(basename "$file")
	# What import.sh recognises, as a whole name; anything else is "Unrecognized archive name".
	[[ $file_name =~ ^(.+)_($DATE_RE)(\.(txz|tgz|tzst|xz|gz|zst))?$ ]] ||
		die "$file: not a Bastille export name (<jail>_YYYY-MM-DD-HHMMSS[.txz|.tgz|.tzst|.xz|.gz|.zst])"
	name=${BASH_REMATCH[1]}
	ext=${BASH_REMATCH[4]:-raw}
	base="$(dirname "$file")/${name}_${BASH_REMATCH[2]}"
	codec "$ext" >/dev/null
	[ -f "$base.sha256" ] || die "$base.sha256: missing"
	# The digest is read once, from the copy whose signature was checked.
	sums=$(mktemp -d "${TMPDIR:-/tmp}/bastille-import.XXXXXX")
	trap 'rm -rf "$sums"' EXIT
	cp "$base.sha256" "$sums/sha256"
	if [ -n "${VERIFY_KEY:-}" ]; then
		cp "$base.sha256.minisig" "$sums/sha256.minisig" 2>/dev/null || :
		verify_file "$sums/sha256" "$sums/sha256.minisig" "$base.sha256"
	fi
	say "jsum --expect \$(cat $base.sha256) $file"
	jsum -q --expect "$(cat "$sums/sha256")" "$file" || die "$file: checksum does not match $base.sha256"
	case $ext in
	txz | tgz | tzst)
		dest="$target/$name"
		[ ! -e "$dest" ] || die "$dest: already exists"
		stage=$(staging_dir "$dest")
		trap 'rc=$?; rm -rf "$stage" "$sums"; [ $rc = 0 ] || printf "%s: import of %s failed; %s not created\n" "$prog" "$file" "$dest" >&2' EXIT
		say "jpack -d < $file | jsnap recv --dir $dest"
		jpack -d <"$file" | jsnap recv --dir "$stage"
		[ -d "$stage/$name" ] || die "$file: no $name/ directory inside"
		mv -T "$stage/$name" "$dest"
		printf '%s\n' "$dest"
		;;
	*)
		# Bastille receives with -u, then sets root's mountpoint and mounts both datasets;
		# jsnap recv mounts the jail and its root where they inherit their mountpoints
		# (never over a file system in use) and keeps what it received if a mount fails.
		say "jpack -d < $file | jsnap recv ${RECV_OPTS:-} $target"
		# shellcheck disable=SC2086 # RECV_OPTS is a list of flags
		if [ "$ext" = raw ]; then
			jsnap recv ${RECV_OPTS:-} "$target" <"$file"
		else
			jpack -d <"$file" | jsnap recv ${RECV_OPTS:-} "$target"
		fi || die "import of $file failed (see above)"
		printf '%s\n' "$target"
		;;
	esac
}

[ $# = 3 ] || die "usage: $prog export JAILDIR|DATASET OUTDIR | import FILE JAILSDIR|DATASET"
cmd=$1
shift
case $cmd in
export) export_image "$@" ;;
import) import_image "$@" ;;
*) die "unknown command: $cmd" ;;
esac
