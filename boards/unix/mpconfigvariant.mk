# The simulator variant: the standard unix build without the parts that need extra
# submodules or system libraries (btree, ssl, ffi), which no tinyml script uses.
MICROPY_PY_BTREE = 0
MICROPY_PY_SSL = 0
MICROPY_SSL_MBEDTLS = 0
MICROPY_PY_FFI = 0
# TFLM's abort() and failed assertions raise Python exceptions inside a TFLM call; glibc's stay
# for everything else (runtime_hooks.c).
TINYML_WRAP_RUNTIME_HOOKS = 1
