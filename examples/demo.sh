#!/usr/bin/env bash
# make demo: an image workflow on a small example, printing each step.
# Today it shows jsum's part: publish an image with its digest files (AppJail .ajspec sum,
# Bastille .sha256, pot .skein), then verify them the way an importer does, including a
# corrupted download that must be refused.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${JTOOLS_BIN:-target/release}
work=$(mktemp -d /tmp/jtools-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
step() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "An example jail directory"
mkdir -p "$work/web/jail/bin" "$work/web/jail/etc" "$work/web/conf/volumes"
printf '#!/bin/sh\necho hello from the jail\n' > "$work/web/jail/bin/hello"
chmod 755 "$work/web/jail/bin/hello"
echo "web" > "$work/web/jail/etc/hostname"
printf '#!/bin/sh\nexec /bin/hello\n' > "$work/web/init"
echo 'exec.start = "/bin/sh /etc/rc";' > "$work/web/conf/config.conf"
find "$work/web" | sed "s|$work/||" | sort

step "Export it as an image, hashing while it streams (jsum --tee)"
cd "$work"
run sh -c "tar -cf - -C web ./jail ./init ./conf/volumes ./conf/config.conf | xz -T0 | $OLDPWD/$bin/jsum --tee -q -o latest-amd64-image.appjail.sha256 > latest-amd64-image.appjail"
ls -l latest-amd64-image.appjail*
printf 'sha256 (the .ajspec "sum"): %s' "$(cat latest-amd64-image.appjail.sha256)"

step "Several digests in one pass (BSD tag lines)"
run "$OLDPWD/$bin/jsum" -a sha256,sha1,blake3 latest-amd64-image.appjail

step "pot-style .skein: Skein-1024 over image then .meta"
echo - > web_1.0.xz.meta
cp latest-amd64-image.appjail web_1.0.xz
run sh -c "cat web_1.0.xz web_1.0.xz.meta | $OLDPWD/$bin/jsum -a skein1024 -q -o web_1.0.xz.skein"
wc -c web_1.0.xz.skein

step "Import side: verify before use"
run "$OLDPWD/$bin/jsum" --expect "$(cat latest-amd64-image.appjail.sha256)" latest-amd64-image.appjail
run sh -c "cat web_1.0.xz web_1.0.xz.meta | $OLDPWD/$bin/jsum --expect \"\$(cat web_1.0.xz.skein)\""
"$OLDPWD/$bin/jsum" latest-amd64-image.appjail web_1.0.xz > SUMS
run "$OLDPWD/$bin/jsum" -c SUMS

step "A corrupted download is refused (exit 1)"
printf 'X' | dd of=web_1.0.xz bs=1 seek=100 conv=notrunc status=none
set +e
"$OLDPWD/$bin/jsum" -c SUMS
echo "jsum -c exit status: $?"
set -e
echo
echo "demo finished"
