# jtools.mk: Make macros that build, publish and import a jail image with the example
# workflows (examples/<system>.sh), so that an image is a short Makefile:
#
#   SYSTEM  = appjail          # appjail, pot, smartos, bastille or aci
#   NAME    = web
#   JAIL    = jails/web        # the tree the image is made of (for ZFS: the mountpoint)
#   include /path/to/jtools.mk
#
# Variables (set before the include, or on the command line):
#   NAME     image name                               TAG      tag or version (1.0)
#   ARCH     architecture (amd64)                      CODEC    compression (xz)
#   MIRRORS  base URLs the image is published under, space-separated; the first is where
#            `import` fetches from (default: file://$(CURDIR)/$(MIRROR))
#   JAIL     the source tree; with DATASET (pot, smartos, bastille on ZFS) its mountpoint
#   DATASET  the ZFS dataset to export (pot, smartos; bastille with FORMAT xz or zst)
#   OUT      where images are written (out)             MIRROR  publish directory (mirror)
#   DEST     where `import` puts the image: a directory (appjail, bastille tar, aci) or a
#            dataset (pot, smartos, bastille zfs)
#   FORMAT   bastille only: txz, tzst, xz or zst (txz)
#   JTOOLS_BIN  directory of the jtools binaries (default: PATH)
#   SIGN_KEY    secret key (jsum --keygen): `image` signs what imports trust (.ajspec, pot
#               .xz.skein, Bastille .sha256, imgadm manifest) and `publish` copies the .minisig
#   VERIFY_KEY  public key: `import` refuses an image without a good signature by it
#
# Targets: image (re-exported only when a file or directory of $(JAIL) is newer than the
# last export), publish (copies the image to $(MIRROR) when it changed), import (from the
# first mirror into $(DEST), replaced when the published image is newer), clean.
# Limitation: file names in $(JAIL) must not contain spaces (Make cannot depend on them).

JTOOLS_EXAMPLES := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
SYSTEM  ?= appjail
NAME    ?= $(notdir $(abspath $(JAIL)))
TAG     ?= 1.0
ARCH    ?= amd64
CODEC   ?= xz
OUT     ?= out
MIRROR  ?= mirror
MIRRORS ?= file://$(abspath $(MIRROR))
DEST    ?= imported/$(NAME)
FORMAT  ?= txz
DATASET ?=

WORKFLOW = $(JTOOLS_EXAMPLES)/$(SYSTEM).sh
RUN = JTOOLS_BIN="$(JTOOLS_BIN)" NAME="$(NAME)" TAG="$(TAG)" VERSION="$(TAG)" ARCH="$(ARCH)" \
	CODEC="$(CODEC)" MIRRORS="$(MIRRORS)" FORMAT="$(FORMAT)" SIGN_KEY="$(SIGN_KEY)" \
	VERIFY_KEY="$(VERIFY_KEY)" bash $(WORKFLOW)
# Copies FILE's signature into $(MIRROR) beside it, or removes a stale one there.
COPY_SIG = copy_sig() { if [ -e "$$1.minisig" ]; then cp "$$1.minisig" $(MIRROR)/; \
	else rm -f "$(MIRROR)/$$(basename "$$1").minisig"; fi; }; copy_sig
MIRROR_URL = $(firstword $(MIRRORS))

# Every file and directory of the tree: a changed, added or removed file makes a newer
# file or directory, and the image is rebuilt.
JAIL_FILES := $(shell find $(JAIL) 2>/dev/null)
# Written after each successful export: what `image` compares the tree with.
STAMP := $(OUT)/.$(SYSTEM)-$(NAME)-$(TAG).exported
PUBLISHED := $(MIRROR)/.$(SYSTEM)-$(NAME)-$(TAG).published

# Per system: the export command, the publish command, the import command.
ifeq ($(SYSTEM),appjail)
EXPORT  = $(RUN) export $(JAIL) $(OUT)
PUBLISH = $(RUN) publish $(OUT) $(MIRROR)
IMPORT  = $(RUN) import $(MIRROR)/$(NAME)/.ajspec $(DEST)
else ifeq ($(SYSTEM),pot)
EXPORT  = $(RUN) export $(DATASET) $(OUT)
PUBLISH = mkdir -p $(MIRROR) && $(COPY_SIG) $(OUT)/$(NAME)_$(TAG).xz.skein && \
	cp $(OUT)/$(NAME)_$(TAG).xz $(OUT)/$(NAME)_$(TAG).xz.meta $(OUT)/$(NAME)_$(TAG).xz.skein $(MIRROR)/
IMPORT  = $(RUN) import $(MIRROR_URL) $(DEST)
else ifeq ($(SYSTEM),smartos)
EXPORT  = $(RUN) export $(DATASET) $(OUT)
PUBLISH = $(RUN) publish $(OUT)/$(NAME)-$(TAG).json $(MIRROR)
IMPORT  = $(RUN) import $(OUT)/$(NAME)-$(TAG).json $(MIRROR_URL) $(DEST)
else ifeq ($(SYSTEM),bastille)
# Bastille names exports by date: the newest one is the image.
EXPORT  = $(RUN) export $(or $(DATASET),$(JAIL)) $(OUT)
LATEST  = $$(ls -t $(OUT)/$(NAME)_*.$(FORMAT) | head -n 1)
PUBLISH = mkdir -p $(MIRROR) && f=$(LATEST) && $(COPY_SIG) "$${f%.*}.sha256" && \
	cp "$$f" "$${f%.*}.sha256" $(MIRROR)/
IMPORT  = f=$$(ls -t $(MIRROR)/$(NAME)_*.$(FORMAT) | head -n 1) && $(RUN) import "$$f" $(DEST)
else ifeq ($(SYSTEM),aci)
EXPORT  = $(RUN) build $(JAIL) $(OUT)/$(NAME)-$(TAG).aci > $(OUT)/$(NAME)-$(TAG).aci.id
PUBLISH = mkdir -p $(MIRROR) && cp $(OUT)/$(NAME)-$(TAG).aci $(OUT)/$(NAME)-$(TAG).aci.id $(MIRROR)/
IMPORT  = ID=$$(cat $(MIRROR)/$(NAME)-$(TAG).aci.id) $(RUN) import $(MIRROR)/$(NAME)-$(TAG).aci $(DEST)
else
$(error SYSTEM must be appjail, pot, smartos, bastille or aci, not '$(SYSTEM)')
endif

.PHONY: image publish import clean

image: $(STAMP)

$(STAMP): $(JAIL_FILES)
	@mkdir -p $(OUT)
	$(EXPORT)
	@touch $@

publish: $(PUBLISHED)

$(PUBLISHED): $(STAMP)
	$(PUBLISH)
	@touch $@

# A directory DEST is replaced only once the new import succeeded (the old one is kept
# aside meanwhile); a dataset DEST is received into (jsnap recv).
import: $(PUBLISHED)
	@if [ -d "$(DEST)" ] && [ "$(DEST)" -nt "$(PUBLISHED)" ]; then echo "$(DEST) is up to date"; exit 0; fi; \
	if [ -d "$(DEST)" ]; then mv "$(DEST)" "$(DEST).old"; fi; \
	if $(IMPORT); then rm -rf "$(DEST).old"; \
	else [ ! -d "$(DEST).old" ] || mv "$(DEST).old" "$(DEST)"; exit 2; fi

clean:
	rm -rf $(OUT) $(MIRROR)
