// C runtime hooks that TFLM reaches when a kernel meets a model it cannot run (an unsupported
// type, a failed assertion): the C library would end the process, or on a port with no C
// runtime (the qemu port) link newlib's stdio and process stubs. Here they raise a Python
// exception instead, which unwinds to the script: the model's call fails, the VM goes on.
// TFLM is built without exceptions, so nothing in the skipped C++ frames needs unwinding.

#include <stdlib.h>

#include "py/runtime.h"

static MP_NORETURN void raise_stopped(void) {
    mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("TFLM stopped: the model is not one its kernels can run"));
}

static MP_NORETURN void raise_check_failed(const char *file, int line, const char *expr) {
    mp_raise_msg_varg(&mp_type_RuntimeError, MP_ERROR_TEXT("TFLM internal check failed: %s (%s:%d)"),
        expr, file, line);
}

#if TINYML_WRAP_RUNTIME_HOOKS
// On ESP-IDF, abort() and assert() also serve its own tasks and interrupt handlers, where no
// Python exception can be raised: they stay ESP-IDF's (a panic), and the link wraps them
// (-Wl,--wrap, micropython.cmake) so that only a call from a thread running Python raises.
#include "freertos/FreeRTOS.h"

void __real_abort(void);
void __real___assert_func(const char *file, int line, const char *func, const char *expr);

static bool in_python(void) {
    return !xPortInIsrContext() && mp_thread_get_state() != NULL && MP_STATE_THREAD(nlr_top) != NULL;
}

void __wrap_abort(void) {
    if (in_python()) {
        raise_stopped();
    }
    __real_abort();
}

void __wrap___assert_func(const char *file, int line, const char *func, const char *expr) {
    if (in_python()) {
        raise_check_failed(file, line, expr);
    }
    __real___assert_func(file, line, func, expr);
}
#else
void abort(void) {
    raise_stopped();
}

#if defined(__GLIBC__)
void __assert_fail(const char *expr, const char *file, unsigned int line, const char *func) {
    raise_check_failed(file, (int)line, expr);
}
#else
void __assert_func(const char *file, int line, const char *func, const char *expr) {
    raise_check_failed(file, line, expr);
}
#endif
#endif
