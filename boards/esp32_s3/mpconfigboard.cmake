# ESP32-S3 for tinyml-mpy, as MicroPython's ESP32_GENERIC_S3 without sdkconfig.ble and TinyUSB.
# PSRAM is used when the module has it and ignored when not (sdkconfig.spiram_sx), so one
# firmware serves both.
set(IDF_TARGET esp32s3)
set(MICROPY_PY_TINYUSB OFF)

set(SDKCONFIG_DEFAULTS
    boards/sdkconfig.base
    boards/sdkconfig.spiram_sx
    boards/ESP32_GENERIC_S3/sdkconfig.board
)

include(${CMAKE_CURRENT_LIST_DIR}/../esp32_common/tinyml.cmake)
