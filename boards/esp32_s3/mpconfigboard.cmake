# ESP32-S3 for tinyml-mpy, as MicroPython's ESP32_GENERIC_S3 without sdkconfig.ble and TinyUSB,
# and without its PSRAM settings (sdkconfig.spiram_sx): ESP-IDF compiles for S3 PSRAM with
# -mdisable-hardware-atomics, an option of Espressif's GCC that the GCC 12 of host setup
# --esp32 lacks. The firmware runs on modules with or without PSRAM, in internal RAM only.
set(IDF_TARGET esp32s3)
set(MICROPY_PY_TINYUSB OFF)

set(SDKCONFIG_DEFAULTS
    boards/sdkconfig.base
    boards/ESP32_GENERIC_S3/sdkconfig.board
)

include(${CMAKE_CURRENT_LIST_DIR}/../esp32_common/tinyml.cmake)
