// The C runtime hooks TFLM reaches on ports that have no C runtime of their own (the qemu
// port): an assert or abort inside TFLM becomes a Python exception instead of a hang or a
// link against newlib's stdio and process stubs.

#include "py/runtime.h"

void __assert_func(const char *file, int line, const char *func, const char *expr) {
    mp_raise_msg_varg(&mp_type_RuntimeError, MP_ERROR_TEXT("TFLM internal check failed: %s (%s:%d)"),
        expr, file, line);
}

void abort(void) {
    mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("TFLM aborted"));
}
