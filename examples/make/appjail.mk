# An AppJail image from a jail directory: make -f examples/make/appjail.mk image publish import
# (JAIL=... NAME=... TAG=... on the command line to change them).
SYSTEM = appjail
JAIL ?= examples/jail
NAME ?= hello
TAG ?= 1.0
include $(dir $(lastword $(MAKEFILE_LIST)))../jtools.mk
