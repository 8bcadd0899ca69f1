# ESP32-C3 for tinyml-mpy, as MicroPython's ESP32_GENERIC_C3 without sdkconfig.ble.
set(IDF_TARGET esp32c3)

set(SDKCONFIG_DEFAULTS
    boards/sdkconfig.base
    boards/sdkconfig.riscv
    boards/ESP32_GENERIC_C3/sdkconfig.c3usb
)

include(${CMAKE_CURRENT_LIST_DIR}/../esp32_common/tinyml.cmake)
