# The simulator variant: the standard unix build without the parts that need extra
# submodules or system libraries (btree, ssl, ffi), which no tinyml script uses.
MICROPY_PY_BTREE = 0
MICROPY_PY_SSL = 0
MICROPY_SSL_MBEDTLS = 0
MICROPY_PY_FFI = 0
# TFLM's abort() and failed assertions raise Python exceptions instead of ending the process.
TINYML_RUNTIME_HOOKS = 1
