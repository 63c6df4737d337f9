# A pot image from a ZFS dataset mounted at JAIL: <name>_<tag>.xz, .meta, .skein.
#   make -f examples/make/pot.mk DATASET=zroot/pot/jails/web/m JAIL=/opt/pot/jails/web/m \
#        DEST=zroot/pot/jails/web2 image publish import
SYSTEM = pot
DATASET ?= zroot/pot/jails/web/m
JAIL ?= /opt/pot/jails/web/m
NAME ?= web
TAG ?= 1.0
include $(dir $(lastword $(MAKEFILE_LIST)))../jtools.mk
