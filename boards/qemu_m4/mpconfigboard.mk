# `host build` passes board.toml's qemu_arch (QEMU_ARCH), qemu_machine (QEMU_MACHINE) and
# cflags (TINYML_CPU_FLAGS).

# The CPU flags, as the TFLM library is built.
CFLAGS += $(TINYML_CPU_FLAGS)
CFLAGS += -DQEMU_SOC_MPS2
CFLAGS += -DMICROPY_HW_MCU_NAME='"Cortex-M4"'
# The port's mpconfigport.h, plus a ROM partition for `mpremote romfs deploy`.
CFLAGS += -DMP_CONFIGFILE='"$(BOARD_DIR)/../qemu_common/mpconfigboard.h"'
# The ROMFS partition: the start of the 16 MiB PSRAM, sized by board.toml's romfs_bytes.
CFLAGS += -DTINYML_ROMFS_BASE=0x21000000 -DTINYML_ROMFS_BYTES=$(TINYML_ROMFS_BYTES)

LDSCRIPT = mcu/arm/mps2.ld

SRC_BOARD_O = shared/runtime/gchelper_native.o shared/runtime/gchelper_thumb2.o
SRC_C += $(BOARD_DIR)/../qemu_common/romfs_partition.c

MPY_CROSS_FLAGS += -march=armv7emsp

MICROPY_PY_BTREE = 0
