# The user C modules for MicroPython's CMake-based ports (rp2, esp32):
#   make -C ports/rp2 USER_C_MODULES=<repo>/native_modules/micropython.cmake
include(${CMAKE_CURRENT_LIST_DIR}/tflm/micropython.cmake)
