// ESP32 (4 MiB flash) for tinyml-mpy: MicroPython's ESP32_GENERIC without the radios.
#define MICROPY_HW_BOARD_NAME               "tinyml-mpy ESP32"
#define MICROPY_HW_MCU_NAME                 "ESP32"

#include "../esp32_common/mpconfigtinyml.h"
