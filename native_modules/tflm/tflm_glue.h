// C interface over the TFLM C++ API, used by modtflm.c.
//
// Functions that can fail return NULL on success or a message, and raise no Python exception
// themselves. The one non-local jump through their C++ frames is a kernel giving up: TFLM's
// abort or assert, which runtime_hooks.c turns into a Python exception in the TFLM calls that
// modtflm.c marks (runtime_hooks.h). TFLM is built without C++ exceptions and its frames own
// nothing that needs unwinding.
#ifndef TINYML_TFLM_GLUE_H
#define TINYML_TFLM_GLUE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    void *data;
    size_t bytes;
    int type;           // TfLiteType
    int ndim;
    const int *dims;
    float scale;
    int32_t zero_point;
} tflm_tensor_info_t;

// Bytes of storage that tflm_create needs for one interpreter.
size_t tflm_interpreter_size(void);

// Verify the flatbuffer and check every index and size TFLM would trust, before TFLM reads it.
const char *tflm_validate(const uint8_t *model, size_t model_len);

// The first operator the model uses that this firmware lacks: its name and version, or NULL.
const char *tflm_missing_op(const uint8_t *model, int *version);

// Arenas smaller than this cannot even hold TFLM's allocator (TFLM does not check: it would
// dereference a null allocator), so they are refused before TFLM sees them.
size_t tflm_arena_minimum(void);

// Construct an interpreter in `storage` and allocate its tensors in the arena, with a profiler
// (from tflm_profiler_init, or NULL) that the interpreter reports every operator's invoke to;
// it must outlive the interpreter. The interpreter is never destroyed: its destructor only
// calls kernels' free hooks, which no TFLM kernel has, so the storage and the arena are simply
// freed (see model_close in modtflm.c).
const char *tflm_create(void *storage, const uint8_t *model, uint8_t *arena, size_t arena_size, void *profiler);
size_t tflm_arena_used(void *storage);
const char *tflm_invoke(void *storage);
// TFLM's MicroInterpreter::Reset: every operator's state (CALL_ONCE runs the initialisation of
// resource variables again) and every variable tensor (an LSTM's) back to their start.
const char *tflm_reset(void *storage);
// tflm_invoke for an interpreter created with a profiler: adds the ticks of each operator of
// the main subgraph to the profiler's sums.
const char *tflm_invoke_profiled(void *storage, void *profiler);

// Per-operator timing. The profiler keeps one sum of ticks per operator of the model's main
// subgraph (operators of subgraphs they call, IF and WHILE, count as their caller's); it is
// made once, in storage of tflm_profiler_size bytes, so invokes allocate nothing.
size_t tflm_main_op_count(const uint8_t *model);
size_t tflm_profiler_size(size_t op_count);
void *tflm_profiler_init(void *storage, const uint8_t *model, size_t op_count);
// Operator `index`'s name and its ticks summed over the invokes since the last clear.
const char *tflm_profiler_entry(void *profiler, size_t index, uint32_t *ticks);
void tflm_profiler_clear(void *profiler);
// Provided by modtflm.c: the clock the profiler reads, in ticks_us ticks (the clock
// model.benchmark reads; on the QEMU Cortex-M boards read so that it never steps a
// millisecond off).
uint32_t tinyml_profiler_ticks(void);

size_t tflm_io_count(void *storage, bool output);
void tflm_io_tensor(void *storage, bool output, size_t index, tflm_tensor_info_t *info);

// Operators the model uses, as "NAME" and version.
size_t tflm_model_op_count(const uint8_t *model);
const char *tflm_model_op(const uint8_t *model, size_t index, int *version);

// Operators this firmware registers.
size_t tflm_firmware_op_count(void);
const char *tflm_firmware_op(size_t index);

const char *tflm_type_name(int type);
// Provided by modtflm.c with MicroPython's own printf, so that bare-metal firmware links no C
// library printf; returns the length the whole text would have.
int tinyml_vsnprintf(char *buffer, size_t size, const char *format, va_list args);

size_t tflm_type_size(int type);

#ifdef __cplusplus
}
#endif

#endif // TINYML_TFLM_GLUE_H
