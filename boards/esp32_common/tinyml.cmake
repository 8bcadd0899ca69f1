# What every tinyml-mpy ESP32 board adds to MicroPython's board settings; each board's
# mpconfigboard.cmake includes it last.

# The radios left out (mpconfigtinyml.h, sdkconfig.tinyml), then the flash layout of the
# board's board.toml, which host build writes and passes as TINYML_SDKCONFIG.
list(APPEND SDKCONFIG_DEFAULTS
    ${CMAKE_CURRENT_LIST_DIR}/sdkconfig.tinyml
    ${TINYML_SDKCONFIG}
)

# Header stand-ins for components MicroPython gets from Espressif's registry (include.cmake).
list(APPEND USER_C_MODULES ${CMAKE_CURRENT_LIST_DIR}/include.cmake)

# No btree module: it needs MicroPython's berkeley-db-1.xx submodule, which host setup does not
# fetch (no other board uses it); tinyml does not use it.
set(MICROPY_PY_BTREE OFF)

# Only the port's component ("main") and what it requires, as ESP-IDF's own examples build
# (MINIMAL_BUILD): not every component of IDF, whose test frameworks (unity) and MQTT need
# submodules the firmware never uses.
set(COMPONENTS main)
