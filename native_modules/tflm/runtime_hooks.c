// C runtime hooks that TFLM reaches when a kernel meets a model it cannot run (an unsupported
// type, a failed assertion): the C library would end the process, or on a port with no C
// runtime (the qemu port) link newlib's stdio and process stubs. Inside a TFLM call made for
// Python (runtime_hooks.h) they raise a Python exception instead, which unwinds to the script:
// the model's call fails, the VM goes on. TFLM is built without exceptions, so nothing in the
// skipped C++ frames needs unwinding.

#include <stdlib.h>

#include "py/runtime.h"

#include "runtime_hooks.h"

#if defined(ESP_PLATFORM)
#include "freertos/FreeRTOS.h"
#endif

// Only marks the call for in_tflm_call: an exception that unwinds it leaves nothing to undo.
static void tflm_call_unwound(void *call) {
    (void)call;
}

void tinyml_tflm_begin(nlr_jump_callback_node_t *call) {
    nlr_push_jump_callback(call, tflm_call_unwound);
}

void tinyml_tflm_end(void) {
    nlr_pop_jump_callback(false);
}

// Whether the running code is TFLM called for Python: a thread running Python (not an
// interrupt handler, nor a thread of an SDK or a library) whose newest jump callback is a
// TFLM call, so TFLM is on top of the stack.
static bool in_tflm_call(void) {
    #if defined(ESP_PLATFORM)
    if (xPortInIsrContext()) {
        return false;
    }
    #endif
    #if MICROPY_PY_THREAD
    if (mp_thread_get_state() == NULL) {
        return false;
    }
    #endif
    const nlr_jump_callback_node_t *top = MP_STATE_THREAD(nlr_jump_callback_top);
    return top != NULL && top->fun == tflm_call_unwound;
}

static MP_NORETURN void raise_stopped(void) {
    mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("TFLM stopped: the model is not one its kernels can run"));
}

static MP_NORETURN void raise_check_failed(const char *file, int line, const char *expr) {
    mp_raise_msg_varg(&mp_type_RuntimeError, MP_ERROR_TEXT("TFLM internal check failed: %s (%s:%d)"),
        expr, file, line);
}

#if TINYML_WRAP_RUNTIME_HOOKS
// The link wraps the C library's abort() and assertion failure (-Wl,--wrap: micropython.mk for
// the unix port, micropython.cmake for ESP-IDF), so the firmware's own calls to them come here
// and go on to the C library's outside a TFLM call. Shared libraries (on the unix port) and the
// C library itself call the C library's directly.
void __real_abort(void);

void __wrap_abort(void) {
    if (in_tflm_call()) {
        raise_stopped();
    }
    __real_abort();
}

#if defined(__GLIBC__)
void __real___assert_fail(const char *expr, const char *file, unsigned int line, const char *func);

void __wrap___assert_fail(const char *expr, const char *file, unsigned int line, const char *func) {
    if (in_tflm_call()) {
        raise_check_failed(file, (int)line, expr);
    }
    __real___assert_fail(expr, file, line, func);
}
#else
void __real___assert_func(const char *file, int line, const char *func, const char *expr);

void __wrap___assert_func(const char *file, int line, const char *func, const char *expr) {
    if (in_tflm_call()) {
        raise_check_failed(file, line, expr);
    }
    __real___assert_func(file, line, func, expr);
}
#endif
#else
// Without the wrap (the qemu boards, which link no C runtime, and rp2), these are abort() and
// newlib's and picolibc's assertion failure themselves. Outside a TFLM call they end the
// firmware as the ports' own failed assertions do: a message, then exit(1).
void abort(void) {
    if (in_tflm_call()) {
        raise_stopped();
    }
    mp_printf(&mp_plat_print, "abort() called\n");
    exit(1);
}

void __assert_func(const char *file, int line, const char *func, const char *expr) {
    if (in_tflm_call()) {
        raise_check_failed(file, line, expr);
    }
    mp_printf(&mp_plat_print, "Assertion '%s' failed, at file %s:%d\n", expr, file, line);
    exit(1);
}
#endif
