// Raspberry Pi Pico 2 for tinyml-mpy: the flash layout comes from board.toml (see
// mpconfigboard.cmake).
#define MICROPY_HW_BOARD_NAME "Raspberry Pi Pico 2 (tinyml-mpy)"
