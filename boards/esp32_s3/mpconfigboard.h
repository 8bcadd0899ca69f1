// ESP32-S3 (8 MiB flash, with or without PSRAM) for tinyml-mpy: MicroPython's ESP32_GENERIC_S3
// without the radios and without TinyUSB (not available here): the REPL is on the chip's
// USB-serial-JTAG port (the USB connector of most S3 boards) and on UART0.
#define MICROPY_HW_BOARD_NAME               "tinyml-mpy ESP32-S3"
#define MICROPY_HW_MCU_NAME                 "ESP32S3"

#define MICROPY_HW_ENABLE_USBDEV            (0)
#define MICROPY_HW_USB_CDC                  (0)
#define MICROPY_HW_ENABLE_UART_REPL         (1)

#define MICROPY_HW_I2C0_SCL                 (9)
#define MICROPY_HW_I2C0_SDA                 (8)

#include "../esp32_common/mpconfigtinyml.h"
