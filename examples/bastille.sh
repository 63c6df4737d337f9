#!/usr/bin/env bash
# Bastille workflow: export a jail as `bastille export` does (<jail>_<date>.txz|.tzst, a tar
# of <jail>/ with root/ inside; or .xz|.zst, a zfs stream of its dataset) with the .sha256
# file (the bare digest), and import such a file, checking the .sha256 first.
#
#   bastille.sh export JAILDIR|DATASET OUTDIR   .txz/.tzst from a directory, .xz/.zst from a dataset
#   bastille.sh import FILE JAILSDIR|DATASET    the format comes from FILE's name, as in Bastille
#
# Environment: FORMAT (txz, tzst, xz, zst; default txz), NAME (default: the jail directory's
# or dataset's name), DATE (default: now, date +%F-%H%M%S), JTOOLS_BIN, VERBOSE=1.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
FORMAT=${FORMAT:-txz}

codec() {
	case $1 in
	txz | xz) echo xz ;;
	tzst | zst) echo zstd ;;
	*) die "unsupported format: $1 (txz, tzst, xz, zst)" ;;
	esac
}

export_image() {
	local src=$1 out=$2 base snap codec date
	codec=$(codec "$FORMAT")
	NAME=${NAME:-$(basename "$src")}
	date=${DATE:-$(date +%F-%H%M%S)}
	base="$out/${NAME}_$date"
	file="$base.$FORMAT"
	mkdir -p "$out"
	trap 'rm -f "$file.part"' EXIT
	case $FORMAT in
	txz | tzst)
		[ -d "$src" ] || die "$src: not a directory (a .$FORMAT export archives a jail directory)"
		say "jsnap send --dir $(dirname "$src") $(basename "$src") | jpack -c $codec | jsum --tee -q -o $base.sha256 > $file"
		jsnap send --dir "$(dirname "$src")" "$(basename "$src")" | jpack -c "$codec" |
			jsum --tee -q -o "$base.sha256" >"$file.part"
		;;
	*)
		snap=$(jsnap create "$src@bastille_$date")
		say "jsnap send $snap | jpack -c $codec | jsum --tee -q -o $base.sha256 > $file"
		jsnap send "$snap" | jpack -c "$codec" | jsum --tee -q -o "$base.sha256" >"$file.part"
		;;
	esac
	mv "$file.part" "$file"
	printf '%s\n' "$file" "$base.sha256"
}

import_image() {
	local target=$2 base ext name
	file=$1
	ext=${file##*.}
	base=${file%.*}
	name=$(basename "$base")
	name=${name%_*}
	codec "$ext" >/dev/null
	[ -f "$base.sha256" ] || die "$base.sha256: missing"
	say "jsum --expect \$(cat $base.sha256) $file"
	jsum -q --expect "$(cat "$base.sha256")" "$file" || die "$file: checksum does not match $base.sha256"
	case $ext in
	txz | tzst)
		dest="$target/$name"
		[ ! -e "$dest" ] || die "$dest: already exists"
		stage=$(staging_dir "$dest")
		trap 'rc=$?; rm -rf "$stage"; [ $rc = 0 ] || printf "%s: import of %s failed; %s not created\n" "$prog" "$file" "$dest" >&2' EXIT
		say "jpack -d < $file | jsnap recv --dir $dest"
		jpack -d <"$file" | jsnap recv --dir "$stage"
		[ -d "$stage/$name" ] || die "$file: no $name/ directory inside"
		mv -T "$stage/$name" "$dest"
		printf '%s\n' "$dest"
		;;
	*)
		say "jpack -d < $file | jsnap recv $target"
		jpack -d <"$file" | jsnap recv "$target" ||
			die "import of $file failed; $target not received"
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
