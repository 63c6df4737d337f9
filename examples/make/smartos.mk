# A SmartOS image (gzip zfs stream + imgadm manifest) from a ZFS dataset mounted at JAIL,
# published as an IMGAPI-style directory (UUID/file), installed into DEST.
#   make -f examples/make/smartos.mk DATASET=zones/web JAIL=/zones/web TAG=1.0.0 image publish
SYSTEM = smartos
DATASET ?= zones/web
JAIL ?= /zones/web
NAME ?= web
TAG ?= 1.0.0
DEST ?= zones/web-imported
include $(dir $(lastword $(MAKEFILE_LIST)))../jtools.mk
