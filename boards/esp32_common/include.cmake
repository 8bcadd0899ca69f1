# The header stand-ins of include/ on the include path of MicroPython's esp32 port, given to the
# port as a user C module (tinyml.cmake adds it to USER_C_MODULES) since the port compiles its
# own sources with the user modules' include directories.
add_library(usermod_esp32_stand_ins INTERFACE)
target_include_directories(usermod_esp32_stand_ins INTERFACE ${CMAKE_CURRENT_LIST_DIR}/include)
target_link_libraries(usermod INTERFACE usermod_esp32_stand_ins)
