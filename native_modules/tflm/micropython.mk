# _tflm for MicroPython's make-based ports (unix, qemu), built by `host build`, which passes:
#   TFLM_LDFLAGS      (unix) the compiled glue (tflm_glue.cc with this firmware's tflm_ops.h)
#                     and the TFLM static library for the target, to link after the objects;
#                     the qemu port gets them through LIBS instead (see below)
#   TINYML_VERSION    this project's version
#   TINYML_TFLM_PIN   the tflite-micro commit
TFLM_MOD_DIR := $(USERMOD_DIR)

SRC_USERMOD_C += $(TFLM_MOD_DIR)/modtflm.c
# _features: the integer features and the Window of the tinyml package, in C
SRC_USERMOD_C += $(TFLM_MOD_DIR)/modfeatures.c
# TFLM's abort() and failed assertions raise Python exceptions inside a TFLM call made for
# Python: see runtime_hooks.c.
SRC_USERMOD_C += $(TFLM_MOD_DIR)/runtime_hooks.c
# Set by the boards whose C library's abort and assertion failure stay for everything else (the
# simulator): the link wraps them rather than the firmware replacing them, which on the unix
# port would replace them for the shared libraries too.
ifeq ($(TINYML_WRAP_RUNTIME_HOOKS),1)
CFLAGS_USERMOD += -DTINYML_WRAP_RUNTIME_HOOKS=1
LDFLAGS_USERMOD += -Wl,--wrap=abort -Wl,--wrap=__assert_fail
endif
CFLAGS_USERMOD += -I$(TFLM_MOD_DIR) \
	-DTINYML_VERSION='"$(TINYML_VERSION)"' -DTINYML_TFLM_PIN='"$(TINYML_TFLM_PIN)"'
# The unix port links LDFLAGS after its objects; the qemu port links them before, so
# `host build` hands the qemu port TFLM_LIBS through LIBS instead and leaves this empty.
LDFLAGS_USERMOD += $(TFLM_LDFLAGS)
