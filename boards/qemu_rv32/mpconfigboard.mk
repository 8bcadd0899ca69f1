# `host build` passes board.toml's qemu_arch (QEMU_ARCH) and qemu_machine (QEMU_MACHINE).

# RV32IMC, the ESP32-C3's ISA (the port defaults to rv32imac). The 2.2 ISA spec counts the CSR
# instructions the start-up code uses as part of I, so -march stays rv32imc, the name with
# which Debian's compiler picks its rv32im/ilp32 libraries (rv32imc_zicsr would pick rv64's).
RV32_ARCH = rv32imc
AFLAGS += -misa-spec=2.2
LDFLAGS += -misa-spec=2.2

CFLAGS += -DQEMU_SOC_VIRT
CFLAGS += -DMICROPY_HW_MCU_NAME='"RV32IMC"'
# The port's mpconfigport.h, plus a ROM partition for `mpremote romfs deploy`.
CFLAGS += -DMP_CONFIGFILE='"$(BOARD_DIR)/../qemu_common/mpconfigboard.h"'
# The ROMFS partition: 16 MiB into the machine's RAM, past the firmware, heap and stack
# (virt_rv32.ld), sized by board.toml's romfs_bytes.
CFLAGS += -DTINYML_ROMFS_BASE=0x81000000 -DTINYML_ROMFS_BYTES=$(TINYML_ROMFS_BYTES)

# The port's mcu/rv32/virt.ld with room for a 2 MiB heap, and every input section named.
LDSCRIPT = $(BOARD_DIR)/virt_rv32.ld
# The port's start-up code (mcu/rv32/entrypoint.s), not picolibc's crt0.
LDFLAGS += -nostartfiles

SRC_BOARD_O += shared/runtime/gchelper_native.o shared/runtime/gchelper_rv32i.o
SRC_C += $(BOARD_DIR)/tls_boot.c $(BOARD_DIR)/../qemu_common/romfs_partition.c

MPY_CROSS_FLAGS += -march=rv32imc

MICROPY_PY_BTREE = 0
