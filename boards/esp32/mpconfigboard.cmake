# ESP32 for tinyml-mpy, as MicroPython's ESP32_GENERIC without sdkconfig.ble.
set(IDF_TARGET esp32)

set(SDKCONFIG_DEFAULTS
    boards/sdkconfig.base
)

include(${CMAKE_CURRENT_LIST_DIR}/../esp32_common/tinyml.cmake)
