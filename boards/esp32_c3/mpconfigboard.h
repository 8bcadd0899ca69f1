// ESP32-C3 (4 MiB flash) for tinyml-mpy: MicroPython's ESP32_GENERIC_C3 without the radios; the
// REPL is on the chip's USB-serial-JTAG port and on UART0.
#define MICROPY_HW_BOARD_NAME               "tinyml-mpy ESP32-C3"
#define MICROPY_HW_MCU_NAME                 "ESP32C3"

// The REPL on UART0 too, for modules with a USB-UART chip.
#define MICROPY_HW_ENABLE_UART_REPL         (1)

#include "../esp32_common/mpconfigtinyml.h"
