// C runtime hooks that TFLM reaches when a kernel meets a model it cannot run (an unsupported
// type, a failed assertion): the C library would end the process, or on a port with no C
// runtime (the qemu port) link newlib's stdio and process stubs. Here they raise a Python
// exception instead, which unwinds to the script: the model's call fails, the VM goes on.
// TFLM is built without exceptions, so nothing in the skipped C++ frames needs unwinding.

#include <stdlib.h>

#include "py/runtime.h"

void abort(void) {
    mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("TFLM stopped: the model is not one its kernels can run"));
}

#if defined(__GLIBC__)
void __assert_fail(const char *expr, const char *file, unsigned int line, const char *func) {
    mp_raise_msg_varg(&mp_type_RuntimeError, MP_ERROR_TEXT("TFLM internal check failed: %s (%s:%d)"),
        expr, file, (int)line);
}
#else
void __assert_func(const char *file, int line, const char *func, const char *expr) {
    mp_raise_msg_varg(&mp_type_RuntimeError, MP_ERROR_TEXT("TFLM internal check failed: %s (%s:%d)"),
        expr, file, line);
}
#endif
