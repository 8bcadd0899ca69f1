# _tflm for MicroPython's CMake-based ports (rp2, esp32), built by `host build`, which passes
# as cache variables (-D...) what it passes the make ports (see micropython.mk):
#   TFLM_LIBS           the compiled glue (tflm_glue.cc with this firmware's tflm_ops.h,
#                       compiled with TFLM's own compiler flags) and TFLM's static library
#   TINYML_VERSION, TINYML_TFLM_PIN
add_library(usermod_tflm INTERFACE)

target_sources(usermod_tflm INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/modtflm.c
    # _features: the integer features and the Window of the tinyml package, in C
    ${CMAKE_CURRENT_LIST_DIR}/modfeatures.c
    # TFLM's abort() and failed assertions raise Python exceptions inside a TFLM call made
    # for Python: see runtime_hooks.c.
    ${CMAKE_CURRENT_LIST_DIR}/runtime_hooks.c
)

target_include_directories(usermod_tflm INTERFACE ${CMAKE_CURRENT_LIST_DIR})

target_compile_definitions(usermod_tflm INTERFACE
    TINYML_VERSION="${TINYML_VERSION}"
    TINYML_TFLM_PIN="${TINYML_TFLM_PIN}"
)

target_link_libraries(usermod_tflm INTERFACE ${TFLM_LIBS})

if(ESP_PLATFORM)
    # ESP-IDF's abort() and assertion failure stay for everything else: the link wraps them.
    target_compile_definitions(usermod_tflm INTERFACE TINYML_WRAP_RUNTIME_HOOKS=1)
    target_link_options(usermod_tflm INTERFACE "-Wl,--wrap=abort" "-Wl,--wrap=__assert_func")
endif()
target_link_libraries(usermod INTERFACE usermod_tflm)
