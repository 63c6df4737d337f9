# A Bastille export (<jail>_<date>.txz + .sha256) of a jail directory; FORMAT=tzst for zstd,
# or FORMAT=xz/zst with DATASET=... for a zfs stream.
#   make -f examples/make/bastille.mk JAIL=/usr/local/bastille/jails/web image publish
SYSTEM = bastille
JAIL ?= /usr/local/bastille/jails/web
FORMAT ?= txz
DEST ?= imported
include $(dir $(lastword $(MAKEFILE_LIST)))../jtools.mk
