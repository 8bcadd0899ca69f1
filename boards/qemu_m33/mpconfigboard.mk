# `host build` passes board.toml's qemu_arch (QEMU_ARCH), qemu_machine (QEMU_MACHINE) and
# cflags (TINYML_CPU_FLAGS).

# The RP2350's core and float ABI, as the TFLM library is built.
CFLAGS += $(TINYML_CPU_FLAGS)
CFLAGS += -DMICROPY_HW_MCU_NAME='"Cortex-M33"'
# No -DQEMU_SOC_*: the port's uart.c then compiles to nothing and uart_an505.c drives this
# machine's UART0, which is not at the address the port knows for the MPS2 boards.

# SysTick counts the AN505's 20 MHz main clock, not the 25 MHz the port's ticks.c assumes:
# with it ticks_us() keeps counting microseconds (and instructions under -icount).
CFLAGS += -DCPU_FREQ_HZ=20000000
# The port's mpconfigport.h, plus a ROM partition for `mpremote romfs deploy`.
CFLAGS += -DMP_CONFIGFILE='"$(BOARD_DIR)/../qemu_common/mpconfigboard.h"'
# The ROMFS partition: the start of the 16 MiB PSRAM, sized by board.toml's romfs_bytes.
CFLAGS += -DTINYML_ROMFS_BASE=0x80000000 -DTINYML_ROMFS_BYTES=$(TINYML_ROMFS_BYTES)

# The firmware where the M33 boots, in SSRAM1's secure alias. The M33 runs secure with its
# SAU off, so every address is secure and the memory and peripheral protection controllers,
# reset to secure, pass every access (the UART at its non-secure address too).
LDSCRIPT = $(BOARD_DIR)/mps2_an505.ld

SRC_BOARD_O = shared/runtime/gchelper_native.o shared/runtime/gchelper_thumb2.o
# The port assembles without CPU flags, which the linker will not merge with Armv8-M objects.
AFLAGS += $(filter -mthumb -mcpu=%,$(TINYML_CPU_FLAGS))
SRC_C += $(BOARD_DIR)/uart_an505.c $(BOARD_DIR)/../qemu_common/romfs_partition.c

MPY_CROSS_FLAGS += -march=armv7emsp

# Single-precision floats in the FPU (the start-up code enables it), as on the RP2350.
MICROPY_FLOAT_IMPL = float
SUPPORTS_HARDWARE_FP_SINGLE = 1

MICROPY_PY_BTREE = 0
