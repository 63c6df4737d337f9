# An ACI (manifest + rootfs/, xz) from an image directory holding rootfs/; its ID is written
# beside it (.aci.id) and checked on import.
#   make -f examples/make/aci.mk JAIL=build/web NAME=web image publish import
SYSTEM = aci
JAIL ?= build/web
NAME ?= web
include $(dir $(lastword $(MAKEFILE_LIST)))../jtools.mk
