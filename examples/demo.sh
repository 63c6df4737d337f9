#!/usr/bin/env bash
# make demo: workflow 1 (AppJail) end to end on examples/jail, with file:// mirrors (the
# first one dead), printing each step and the jail's output. Builds nothing itself: the
# Makefile's `demo: build` made target/release (JTOOLS_BIN overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
export JTOOLS_BIN=${JTOOLS_BIN:-target/release}
export VERBOSE=1 NAME=hello TAG=1.0 ARCH=amd64
work=$(mktemp -d /tmp/jtools-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
step() { printf '\n== %s\n' "$*"; }
examples=$PWD/examples

step "1. The example jail directory (jail/, init, conf/volumes/, conf/config.conf)"
cp -r examples/jail "$work/hello"
# A busybox userland is copied in at run time (the repository ships a tiny tree). It must be
# a static busybox: the jail has no /lib, so a dynamic one (Debian's plain `busybox`) cannot
# start there. As root on Debian, busybox-static is installed when no static one is found.
is_static() { case $(ldd "$1" 2>&1 || true) in *"not a dynamic executable"* | *"statically linked"*) return 0 ;; esac; return 1; }
find_static_busybox() {
	for bb in /bin/busybox /usr/bin/busybox "$(command -v busybox 2>/dev/null || true)"; do
		if [ -n "$bb" ] && [ -x "$bb" ] && is_static "$bb"; then echo "$bb"; return 0; fi
	done
	return 1
}
busybox=$(find_static_busybox || true)
if [ -z "$busybox" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "installing busybox-static (the jail needs a static shell)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends busybox-static >/dev/null || true
	busybox=$(find_static_busybox || true)
fi
if [ -n "$busybox" ]; then
	cp "$busybox" "$work/hello/jail/bin/busybox"
	for a in sh cat echo id ls tr uname; do ln -sf busybox "$work/hello/jail/bin/$a"; done
else
	echo "no static busybox here (install Debian's busybox-static): the jail will have no shell"
fi
(cd "$work" && find hello | sort)

step "2. Export: jsnap send --dir | jpack -c xz | jsum --tee, then jspec new (two mirrors)"
export MIRRORS="file://$work/dead-mirror file://$work/mirror"
bash "$examples/appjail.sh" export "$work/hello" "$work/out"
cat "$work/out/.ajspec"

step "3. Publish to the second mirror (the first one stays dead)"
bash "$examples/appjail.sh" publish "$work/out" "$work/mirror"

step "4. Import: jfetch --spec (falls back past the dead mirror) | jpack -d | jsnap recv --dir"
bash "$examples/appjail.sh" import "$work/mirror/hello/.ajspec" "$work/jails/hello"
(cd "$work/jails" && find hello -maxdepth 2 | sort)

step "5. Run it: jrun --root jails/hello/jail -- /bin/hello"
if [ "$(id -u)" != 0 ]; then
	echo "skipped: jrun needs root (namespaces); run 'sudo make demo' to see this step"
elif [ ! -x "$work/jails/hello/jail/bin/sh" ]; then
	echo "skipped: no static busybox on this machine (Debian: apt-get install busybox-static), so the example jail has no shell"
else
	bash "$examples/appjail.sh" run "$work/jails/hello" /bin/hello
fi
echo
echo "demo finished"
