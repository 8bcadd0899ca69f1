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
# abort/assert raise Python exceptions (set by the boards whose C runtime would otherwise end
# the process or is absent: see runtime_hooks.c).
ifeq ($(TINYML_RUNTIME_HOOKS),1)
SRC_USERMOD_C += $(TFLM_MOD_DIR)/runtime_hooks.c
endif
CFLAGS_USERMOD += -I$(TFLM_MOD_DIR) \
	-DTINYML_VERSION='"$(TINYML_VERSION)"' -DTINYML_TFLM_PIN='"$(TINYML_TFLM_PIN)"'
# The unix port links LDFLAGS after its objects; the qemu port links them before, so
# `host build` hands the qemu port TFLM_LIBS through LIBS instead and leaves this empty.
LDFLAGS_USERMOD += $(TFLM_LDFLAGS)
