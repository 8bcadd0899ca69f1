// The scope of runtime_hooks.c: TFLM's abort() and failed assertions raise a Python exception
// only inside a TFLM call made for Python, in the thread making it. Anywhere else (MicroPython's
// own, an SDK's, a shared library's) they stay fatal, as the code calling them expects.
#ifndef TINYML_RUNTIME_HOOKS_H
#define TINYML_RUNTIME_HOOKS_H

#include "py/nlr.h"

// A TFLM call: from tinyml_tflm_begin to tinyml_tflm_end, around the calls into TFLM (through
// tflm_glue.h). `call` is the thread's newest NLR jump callback meanwhile, so any exception
// that unwinds the call (a hook's, or Ctrl-C on the unix port) also ends it. It must be on the
// C stack, in a frame below any nlr_push the exception is to be caught by.
void tinyml_tflm_begin(nlr_jump_callback_node_t *call);
void tinyml_tflm_end(void);

#endif // TINYML_RUNTIME_HOOKS_H
