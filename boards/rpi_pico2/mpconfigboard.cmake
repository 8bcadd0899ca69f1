# Raspberry Pi Pico 2 for tinyml-mpy. `host build` passes the flash layout of board.toml.
set(PICO_BOARD "pico2")
set(PICO_PLATFORM "rp2350")
list(APPEND MICROPY_DEF_BOARD
    MICROPY_HW_ROMFS_BYTES=${TINYML_ROMFS_BYTES}
    MICROPY_HW_FLASH_STORAGE_BYTES=${TINYML_FILESYSTEM_BYTES}
)
