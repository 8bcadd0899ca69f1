# _tflm for MicroPython's CMake-based ports (rp2, esp32). The caller passes, as cache
# variables (-D...), what `host build` passes the make ports:
#   TFLM_DIR        the tflite-micro checkout (headers)
#   TFLM_LIBRARY    TFLM's static library built for the board's CPU
#   TFLM_OPS_DIR    the folder holding tflm_ops.h, the operators this firmware registers
#   TINYML_VERSION, TINYML_TFLM_PIN
add_library(usermod_tflm INTERFACE)

target_sources(usermod_tflm INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/modtflm.c
    ${CMAKE_CURRENT_LIST_DIR}/tflm_glue.cc
)

set(TFLM_DOWNLOADS ${TFLM_DIR}/tensorflow/lite/micro/tools/make/downloads)
target_include_directories(usermod_tflm INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}
    ${TFLM_OPS_DIR}
    ${TFLM_DIR}
    ${TFLM_DOWNLOADS}/flatbuffers/include
    ${TFLM_DOWNLOADS}/gemmlowp
    ${TFLM_DOWNLOADS}/ruy
)

# The glue must see TFLM's headers as the library was built: static memory, no RTTI or
# exceptions; NDEBUG keeps the flatbuffers accessors' assert() out (the verifier runs instead).
target_compile_definitions(usermod_tflm INTERFACE
    TF_LITE_STATIC_MEMORY
    TINYML_VERSION="${TINYML_VERSION}"
    TINYML_TFLM_PIN="${TINYML_TFLM_PIN}"
    $<$<COMPILE_LANGUAGE:CXX>:NDEBUG>
)
target_compile_options(usermod_tflm INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-std=c++17 -fno-rtti -fno-exceptions -fno-threadsafe-statics>
)

target_link_libraries(usermod_tflm INTERFACE ${TFLM_LIBRARY})
target_link_libraries(usermod INTERFACE usermod_tflm)
