# jtools: build, test, install, man pages, demo, benchmarks.
PREFIX ?= /usr/local
DESTDIR ?=
CARGO ?= cargo
TOOLS := jsnap jpack jsum jfetch jspec jrun

.PHONY: all build build-deps test setup man install demo bench clean

all: build

# One build per tool: cargo unifies jcore's features over the packages of one invocation,
# so building each package alone is what makes each binary link only what it uses.
build: build-deps
	for t in $(TOOLS); do $(CARGO) build --release -p $$t || exit 1; done

# libarchive, installed as root on Debian when missing (tests/setup.d/00-build.sh).
build-deps:
	bash tests/setup.d/00-build.sh

# Installs (as root on Debian) and starts what the tests need, then runs the whole suite.
# The tests run the tools' binaries from target/debug/ (tests/common/mod.rs), which
# `cargo test` does not build for the other packages of the workspace: build them first.
# --no-fail-fast: one failing test binary does not hide the others' results.
test: setup
	$(CARGO) build --workspace --bins
	$(CARGO) test --workspace --no-fail-fast

setup:
	bash tests/setup.sh

# Regenerates the committed man pages from the clap definitions.
man: build-deps
	$(CARGO) build --workspace --bins
	for t in $(TOOLS); do target/debug/$$t --generate man > man/$$t.1; done
	target/debug/jsum --generate overview > man/jtools.7

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man7
	for t in $(TOOLS); do install -m 755 target/release/$$t $(DESTDIR)$(PREFIX)/bin/$$t; done
	for t in $(TOOLS); do install -m 644 man/$$t.1 $(DESTDIR)$(PREFIX)/share/man/man1/$$t.1; done
	install -m 644 man/jtools.7 $(DESTDIR)$(PREFIX)/share/man/man7/jtools.7

# The main job: an image workflow end to end on the bundled example.
demo: build
	bash examples/demo.sh

bench: build
	bash bench/run.sh

clean:
	$(CARGO) clean
