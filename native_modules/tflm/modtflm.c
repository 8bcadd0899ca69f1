// _tflm: MicroPython bindings for TensorFlow Lite Micro. The Python-facing half; every TFLM
// call goes through tflm_glue.h.

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "py/builtin.h"
#include "py/gc.h"
#include "py/mphal.h"
#include "py/objstr.h"
#include "py/runtime.h"
#include "py/smallint.h"
#include "py/stream.h"

#include "runtime_hooks.h"
#include "tflm_glue.h"

#ifndef TINYML_VERSION
#define TINYML_VERSION "dev"
#endif
#ifndef TINYML_TFLM_PIN
#define TINYML_TFLM_PIN "unknown"
#endif

// Heap kept free when an arena is sized automatically, so the script can go on allocating
// between the trial allocation and the final one.
#define ARENA_TRIAL_RESERVE (2048)
#define ARENA_ALIGN (16)
// TFLM reads the flatbuffer's tables in place, which needs the model 8-byte aligned.
#define MODEL_ALIGN (8)

typedef struct _tflm_model_obj_t {
    mp_obj_base_t base;
    mp_obj_t source;            // the flatbuffer's owner, so the GC keeps it alive
    const uint8_t *data;
    size_t len;
    void *storage;              // memory for the C++ interpreter
    void *interp;               // == storage while an interpreter lives there, else NULL
    void *arena_owner;          // heap block or buffer object holding the arena
    mp_obj_t arena_buffer;      // the script's arena buffer, or MP_OBJ_NULL
    uint8_t *arena;
    size_t arena_size;
    size_t arena_used;
    mp_obj_t inputs;
    mp_obj_t outputs;
    void *profiler;             // per-operator tick sums (profile=True), else NULL
    // Open models, so that an arena given to a second model can be refused. Not a GC root:
    // a model leaves the list in close() or in its finaliser, before the GC frees it.
    struct _tflm_model_obj_t *next_open;
} tflm_model_obj_t;

static tflm_model_obj_t *open_models;

typedef struct _tflm_tensor_obj_t {
    mp_obj_base_t base;
    tflm_model_obj_t *model;
    // The arena's owner too, so the tensor's memory outlives model.close() while the tensor
    // lives. A memoryview does not keep the tensor alive (MicroPython's memoryview holds only
    // a pointer into the memory): it is valid while the tensor or its model is.
    void *arena_owner;
    uint8_t *data;
    size_t bytes;
    size_t count;
    mp_obj_t shape;
    mp_obj_t dtype;
    mp_float_t scale;
    int32_t zero_point;
    uint8_t type;
    uint8_t item_size;
    char typecode;
} tflm_tensor_obj_t;

const mp_obj_type_t tflm_model_type;
const mp_obj_type_t tflm_tensor_type;

// TfLiteType values (tensorflow/lite/core/c/common.h), needed here for the typecodes.
enum {
    TFLM_FLOAT32 = 1, TFLM_INT32 = 2, TFLM_UINT8 = 3, TFLM_INT64 = 4, TFLM_BOOL = 6,
    TFLM_INT16 = 7, TFLM_INT8 = 9, TFLM_FLOAT16 = 10, TFLM_UINT32 = 16, TFLM_UINT16 = 17,
};

static char typecode_of(int type) {
    switch (type) {
        case TFLM_FLOAT32:
            return 'f';
        case TFLM_INT32:
            return 'i';
        case TFLM_UINT32:
            return 'I';
        case TFLM_INT16:
            return 'h';
        case TFLM_UINT16:
        case TFLM_FLOAT16:
            return 'H';
        case TFLM_INT8:
            return 'b';
        case TFLM_INT64:
            return 'q';
        default:
            return 'B';
    }
}

static void model_unlink(tflm_model_obj_t *self) {
    for (tflm_model_obj_t **link = &open_models; *link != NULL; link = &(*link)->next_open) {
        if (*link == self) {
            *link = self->next_open;
            break;
        }
    }
    self->next_open = NULL;
    self->interp = NULL;
}

// Raises unless the model can run: open, and its arena still where it was (a bytearray given
// as the arena can be resized by the script, which moves its memory away from TFLM).
static void check_open(tflm_model_obj_t *self) {
    if (self->interp == NULL) {
        mp_raise_ValueError(MP_ERROR_TEXT("model is closed"));
    }
    if (self->arena_buffer != MP_OBJ_NULL) {
        mp_buffer_info_t buf;
        if (!mp_get_buffer(self->arena_buffer, &buf, MP_BUFFER_WRITE) || buf.buf != self->arena
            || buf.len < self->arena_size) {
            model_unlink(self);
            mp_raise_ValueError(MP_ERROR_TEXT("the arena buffer was resized while the model used it; model closed"));
        }
    }
}

typedef struct {
    char *buffer;
    size_t size;
    size_t len;
} text_buffer_t;

static void text_buffer_strn(void *env, const char *str, size_t len) {
    text_buffer_t *text = env;
    while (len-- > 0 && text->len + 1 < text->size) {
        text->buffer[text->len++] = *str++;
    }
}

int tinyml_vsnprintf(char *buffer, size_t size, const char *format, va_list args) {
    text_buffer_t text = { buffer, size, 0 };
    mp_print_t print = { &text, text_buffer_strn };
    int n = mp_vprintf(&print, format, args);
    if (size > 0) {
        buffer[text.len] = '\0';
    }
    return n;
}

#if defined(TINYML_ROMFS_BASE) && defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
// The QEMU Cortex-M boards (their board files define TINYML_ROMFS_BASE). The qemu port's
// ticks_us adds SysTick's count to the millisecond count SysTick's interrupt keeps, without
// checking that the two belong together: read as SysTick wraps, it is a millisecond off, and
// in sums over a thousand profiled invokes that happens. The same clock, read consistently:
// the millisecond count again after SysTick, and SysTick at 0 (the interrupt has counted the
// new millisecond as it reached 0) as the millisecond's start.
#ifndef CPU_FREQ_HZ
#define CPU_FREQ_HZ (25000000u)     // the port's ticks.c default, the MPS2's clock
#endif
#define SYSTICK_RVR (*(volatile uint32_t *)0xE000E014)
#define SYSTICK_CVR (*(volatile uint32_t *)0xE000E018)
uint32_t tinyml_profiler_ticks(void) {
    uint32_t ms, cvr;
    do {
        ms = mp_hal_ticks_ms();
        cvr = SYSTICK_CVR;
    } while (mp_hal_ticks_ms() != ms);
    uint32_t elapsed = cvr == 0 ? 0 : SYSTICK_RVR + 1 - cvr;
    return ms * 1000 + elapsed * 1000 / (CPU_FREQ_HZ / 1000);
}
#else
uint32_t tinyml_profiler_ticks(void) {
    return mp_hal_ticks_us();
}
#endif

/******************************************************************************/
// Tensor

static mp_obj_t tensor_new(tflm_model_obj_t *model, bool output, size_t index) {
    tflm_tensor_info_t info;
    tflm_io_tensor(model->interp, output, index, &info);
    tflm_tensor_obj_t *t = mp_obj_malloc(tflm_tensor_obj_t, &tflm_tensor_type);
    t->model = model;
    t->arena_owner = model->arena_owner;
    t->data = info.data;
    t->bytes = info.bytes;
    t->type = info.type;
    t->item_size = tflm_type_size(info.type);
    t->typecode = typecode_of(info.type);
    t->count = t->item_size ? info.bytes / t->item_size : info.bytes;
    mp_obj_t dims[8];
    size_t ndim = info.ndim > 8 ? 8 : info.ndim;
    for (size_t i = 0; i < ndim; i++) {
        dims[i] = MP_OBJ_NEW_SMALL_INT(info.dims[i]);
    }
    t->shape = mp_obj_new_tuple(ndim, dims);
    t->dtype = mp_obj_new_str_from_cstr(tflm_type_name(info.type));
    t->scale = info.scale;
    t->zero_point = info.zero_point;
    return MP_OBJ_FROM_PTR(t);
}

static void tensor_print(const mp_print_t *print, mp_obj_t self_in, mp_print_kind_t kind) {
    tflm_tensor_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_printf(print, "<Tensor shape=");
    mp_obj_print_helper(print, self->shape, PRINT_REPR);
    mp_printf(print, " dtype=%s scale=%f zero_point=%d>", mp_obj_str_get_str(self->dtype),
        (double)self->scale, (int)self->zero_point);
}

static void tensor_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest) {
    tflm_tensor_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (dest[0] != MP_OBJ_NULL) {
        return;
    }
    switch (attr) {
        case MP_QSTR_shape:
            dest[0] = self->shape;
            break;
        case MP_QSTR_dtype:
            dest[0] = self->dtype;
            break;
        case MP_QSTR_scale:
            dest[0] = mp_obj_new_float(self->scale);
            break;
        case MP_QSTR_zero_point:
            dest[0] = mp_obj_new_int(self->zero_point);
            break;
        case MP_QSTR_nbytes:
            dest[0] = mp_obj_new_int_from_uint(self->bytes);
            break;
        default:
            dest[1] = MP_OBJ_SENTINEL;
    }
}

static mp_int_t tensor_get_buffer(mp_obj_t self_in, mp_buffer_info_t *bufinfo, mp_uint_t flags) {
    tflm_tensor_obj_t *self = MP_OBJ_TO_PTR(self_in);
    check_open(self->model);
    bufinfo->buf = self->data;
    bufinfo->len = self->bytes;
    bufinfo->typecode = self->typecode;
    return 0;
}

static bool is_quantized(const tflm_tensor_obj_t *t) {
    return t->type != TFLM_FLOAT32 && t->scale != 0;
}

// Round half away from zero, as TFLite's quantize (std::round) does.
static mp_float_t round_away(mp_float_t v) {
    return v >= 0 ? MICROPY_FLOAT_C_FUN(floor)(v + (mp_float_t)0.5) : -MICROPY_FLOAT_C_FUN(floor)(-v + (mp_float_t)0.5);
}

// Clamp to [lo, hi] without undefined behaviour: comparisons first, the cast last.
static int64_t clamp_to(mp_float_t v, int64_t lo, int64_t hi) {
    if (v <= (mp_float_t)lo) {
        return lo;
    }
    if (v >= (mp_float_t)hi) {
        return hi;
    }
    return (int64_t)v;
}

static void store_value(tflm_tensor_obj_t *t, size_t i, mp_float_t v) {
    if (t->type == TFLM_FLOAT32) {
        ((float *)t->data)[i] = (float)v;
        return;
    }
    if (v != v) {
        mp_raise_ValueError(MP_ERROR_TEXT("cannot quantize NaN"));
    }
    if (is_quantized(t)) {
        v = round_away(v / t->scale) + t->zero_point;
    } else {
        v = round_away(v);
    }
    switch (t->type) {
        case TFLM_INT8:
            ((int8_t *)t->data)[i] = (int8_t)clamp_to(v, INT8_MIN, INT8_MAX);
            break;
        case TFLM_UINT8:
        case TFLM_BOOL:
            ((uint8_t *)t->data)[i] = (uint8_t)clamp_to(v, 0, UINT8_MAX);
            break;
        case TFLM_INT16:
            ((int16_t *)t->data)[i] = (int16_t)clamp_to(v, INT16_MIN, INT16_MAX);
            break;
        case TFLM_UINT16:
            ((uint16_t *)t->data)[i] = (uint16_t)clamp_to(v, 0, UINT16_MAX);
            break;
        case TFLM_INT32:
            ((int32_t *)t->data)[i] = (int32_t)clamp_to(v, INT32_MIN, INT32_MAX);
            break;
        case TFLM_UINT32:
            ((uint32_t *)t->data)[i] = (uint32_t)clamp_to(v, 0, UINT32_MAX);
            break;
        default:
            // 2**63 - 1 is not a float; the largest float below 2**63 is.
            ((int64_t *)t->data)[i] = clamp_to(v, INT64_MIN, (int64_t)0x7FFFFF8000000000LL);
            break;
    }
}

static mp_float_t load_value(const tflm_tensor_obj_t *t, size_t i) {
    mp_float_t raw;
    switch (t->type) {
        case TFLM_FLOAT32:
            return ((float *)t->data)[i];
        case TFLM_INT8:
            raw = ((int8_t *)t->data)[i];
            break;
        case TFLM_UINT8:
        case TFLM_BOOL:
            raw = ((uint8_t *)t->data)[i];
            break;
        case TFLM_INT16:
            raw = ((int16_t *)t->data)[i];
            break;
        case TFLM_UINT16:
            raw = ((uint16_t *)t->data)[i];
            break;
        case TFLM_INT32:
            raw = ((int32_t *)t->data)[i];
            break;
        case TFLM_UINT32:
            raw = ((uint32_t *)t->data)[i];
            break;
        default:
            raw = (mp_float_t)((int64_t *)t->data)[i];
            break;
    }
    return is_quantized(t) ? (raw - t->zero_point) * t->scale : raw;
}

static void check_numeric(const tflm_tensor_obj_t *t) {
    if (t->item_size == 0 || t->type == TFLM_FLOAT16) {
        mp_raise_msg_varg(&mp_type_TypeError, MP_ERROR_TEXT("cannot convert values for a %s tensor"),
            mp_obj_str_get_str(t->dtype));
    }
}

// A number from an array('f'/'d'/'b'/'B'/'h'/'H'/'i'/'I') without boxing it.
static bool buffer_value(const mp_buffer_info_t *buf, size_t i, mp_float_t *out) {
    switch (buf->typecode) {
        case 'f':
            *out = ((float *)buf->buf)[i];
            return true;
        case 'd':
            *out = (mp_float_t)((double *)buf->buf)[i];
            return true;
        case 'b':
            *out = ((int8_t *)buf->buf)[i];
            return true;
        case 'B':
            *out = ((uint8_t *)buf->buf)[i];
            return true;
        case 'h':
            *out = ((int16_t *)buf->buf)[i];
            return true;
        case 'H':
            *out = ((uint16_t *)buf->buf)[i];
            return true;
        case 'i':
            *out = ((int32_t *)buf->buf)[i];
            return true;
        case 'I':
            *out = ((uint32_t *)buf->buf)[i];
            return true;
        default:
            return false;
    }
}

static bool is_number_typecode(char typecode) {
    return typecode != 0 && strchr("fdbBhHiI", typecode) != NULL;
}

static size_t typecode_size(char typecode) {
    switch (typecode) {
        case 'd':
            return 8;
        case 'f':
        case 'i':
        case 'I':
            return 4;
        case 'h':
        case 'H':
            return 2;
        default:
            return 1;
    }
}

static void wrong_count(const tflm_tensor_obj_t *t, size_t got) {
    mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("tensor holds %u values, got %u"),
        (unsigned)t->count, (unsigned)got);
}

// t.quantize(values, scale=1): store values * scale into the tensor, quantizing with its
// scale and zero point. `values` is an array (no allocation) or any iterable of numbers;
// `scale` converts units (ADC counts to volts) where Python would allocate a float per value.
static mp_obj_t tensor_quantize(size_t n_args, const mp_obj_t *args) {
    tflm_tensor_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    mp_obj_t values = args[1];
    mp_float_t scale = n_args > 2 ? mp_obj_get_float(args[2]) : (mp_float_t)1;
    check_open(self->model);
    check_numeric(self);
    if (mp_obj_is_str(values)) {
        mp_raise_TypeError(MP_ERROR_TEXT("values must be numbers, not a str"));
    }
    mp_buffer_info_t buf;
    mp_float_t v = 0;
    if (mp_get_buffer(values, &buf, MP_BUFFER_READ) && is_number_typecode(buf.typecode)) {
        size_t n = buf.len / typecode_size(buf.typecode);
        if (n != self->count) {
            wrong_count(self, n);
        }
        for (size_t i = 0; i < n; i++) {
            buffer_value(&buf, i, &v);
            store_value(self, i, v * scale);
        }
        return mp_const_none;
    }
    // Through an iterator, which stays safe when a value's __float__ changes the container.
    size_t n = 0;
    mp_obj_iter_buf_t iter_buf;
    mp_obj_t iter = mp_getiter(values, &iter_buf);
    mp_obj_t item;
    while ((item = mp_iternext(iter)) != MP_OBJ_STOP_ITERATION) {
        if (n >= self->count) {
            wrong_count(self, n + 1);
        }
        v = mp_obj_get_float(item);
        // The conversion may have run Python code that closed the model.
        check_open(self->model);
        store_value(self, n++, v * scale);
    }
    if (n != self->count) {
        wrong_count(self, n);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(tensor_quantize_obj, 2, 3, tensor_quantize);

// t.dequantize(out=None): the tensor's values as floats, into `out` (an array('f') or a list
// of the right length) or into a new list.
static mp_obj_t tensor_dequantize(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_out };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_out, MP_ARG_OBJ, {.u_obj = mp_const_none} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    tflm_tensor_obj_t *self = MP_OBJ_TO_PTR(pos_args[0]);
    check_open(self->model);
    check_numeric(self);
    mp_obj_t out = args[ARG_out].u_obj;
    if (out == mp_const_none) {
        out = mp_obj_new_list(self->count, NULL);
    }
    mp_buffer_info_t buf;
    if (mp_obj_is_type(out, &mp_type_list)) {
        size_t n;
        mp_obj_t *items;
        mp_obj_get_array(out, &n, &items);
        if (n != self->count) {
            wrong_count(self, n);
        }
        for (size_t i = 0; i < n; i++) {
            items[i] = mp_obj_new_float(load_value(self, i));
        }
    } else if (mp_get_buffer(out, &buf, MP_BUFFER_WRITE) && buf.typecode == 'f') {
        size_t n = buf.len / sizeof(float);
        if (n != self->count) {
            wrong_count(self, n);
        }
        for (size_t i = 0; i < n; i++) {
            ((float *)buf.buf)[i] = (float)load_value(self, i);
        }
    } else {
        mp_raise_TypeError(MP_ERROR_TEXT("out must be a list or an array('f')"));
    }
    return out;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(tensor_dequantize_obj, 1, tensor_dequantize);

static const mp_rom_map_elem_t tensor_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR_quantize), MP_ROM_PTR(&tensor_quantize_obj) },
    { MP_ROM_QSTR(MP_QSTR_dequantize), MP_ROM_PTR(&tensor_dequantize_obj) },
};
static MP_DEFINE_CONST_DICT(tensor_locals_dict, tensor_locals_dict_table);

MP_DEFINE_CONST_OBJ_TYPE(
    tflm_tensor_type,
    MP_QSTR_Tensor,
    MP_TYPE_FLAG_NONE,
    print, tensor_print,
    attr, tensor_attr,
    buffer, tensor_get_buffer,
    locals_dict, &tensor_locals_dict
    );

/******************************************************************************/
// Model

static void raise_model_error(const char *message) {
    mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("%s"), message);
}

// Open a path: a file that exposes its bytes (a ROMFS file) is used in place; any other file
// is read into a bytes object.
static mp_obj_t open_model_file(mp_obj_t path) {
    mp_obj_t open_args[2] = { path, MP_OBJ_NEW_QSTR(MP_QSTR_rb) };
    mp_obj_t file = mp_builtin_open(2, open_args, (mp_map_t *)&mp_const_empty_map);
    mp_buffer_info_t buf;
    if (mp_get_buffer(file, &buf, MP_BUFFER_READ)) {
        return file;
    }
    mp_obj_t dest[2];
    mp_load_method(file, MP_QSTR_read, dest);
    mp_obj_t data = mp_call_method_n_kw(0, 0, dest);
    mp_stream_close(file);
    return data;
}

static size_t largest_free_block(void) {
    gc_collect();
    gc_info_t info;
    gc_info(&info);
    return info.max_free * MICROPY_BYTES_PER_GC_BLOCK;
}

// The model's interpreter made in `arena` (reporting to `profiler`, or NULL), as a TFLM call
// (runtime_hooks.h): TFLM's abort() or a failed assertion inside raises a RuntimeError.
static const char *model_create(tflm_model_obj_t *self, uint8_t *arena, size_t size, void *profiler) {
    nlr_jump_callback_node_t call;
    tinyml_tflm_begin(&call);
    const char *error = tflm_create(self->storage, self->data, arena, size, profiler);
    tinyml_tflm_end();
    return error;
}

static bool arena_fits(tflm_model_obj_t *self, uint8_t *arena, size_t size) {
    return model_create(self, arena, size, NULL) == NULL;
}

// The smallest arena (a multiple of ARENA_ALIGN) in which AllocateTensors succeeds, found in
// a trial arena as large as the heap can give; 0 with *error set if even that is too small.
// TFLM reports only what stays allocated, but AllocateTensors also needs temporary memory
// while it plans, so the answer is searched for rather than read.
static size_t measure_arena(tflm_model_obj_t *self, const char **error) {
    size_t free_bytes = largest_free_block();
    if (free_bytes <= ARENA_TRIAL_RESERVE + ARENA_ALIGN) {
        *error = "no free heap for a tensor arena";
        return 0;
    }
    size_t trial_size = free_bytes - ARENA_TRIAL_RESERVE;
    uint8_t *trial = m_malloc_maybe(trial_size);
    if (trial == NULL) {
        *error = "no free heap for a tensor arena";
        return 0;
    }
    *error = model_create(self, trial, trial_size, NULL);
    if (*error != NULL) {
        m_del(uint8_t, trial, trial_size);
        return 0;
    }
    size_t used = tflm_arena_used(self->storage);
    // Grow from what TFLM reports until it fits, then bisect down to the smallest size.
    size_t fails = used > 2 * ARENA_ALIGN ? (used & ~(size_t)(ARENA_ALIGN - 1)) - ARENA_ALIGN : 0;
    size_t fits = trial_size;
    for (size_t step = ARENA_ALIGN; fails + step < trial_size; step *= 2) {
        if (arena_fits(self, trial, fails + step)) {
            fits = fails + step;
            break;
        }
        fails += step;
    }
    while (fits - fails > ARENA_ALIGN) {
        size_t middle = (fails + (fits - fails) / 2) & ~(size_t)(ARENA_ALIGN - 1);
        if (middle <= fails) {
            middle = fails + ARENA_ALIGN;
        }
        if (arena_fits(self, trial, middle)) {
            fits = middle;
        } else {
            fails = middle;
        }
    }
    m_del(uint8_t, trial, trial_size);
    return fits;
}

static void model_make_tensors(tflm_model_obj_t *self) {
    for (int output = 0; output < 2; output++) {
        size_t n = tflm_io_count(self->interp, output);
        mp_obj_tuple_t *tuple = MP_OBJ_TO_PTR(mp_obj_new_tuple(n, NULL));
        for (size_t i = 0; i < n; i++) {
            tuple->items[i] = tensor_new(self, output, i);
        }
        if (output) {
            self->outputs = MP_OBJ_FROM_PTR(tuple);
        } else {
            self->inputs = MP_OBJ_FROM_PTR(tuple);
        }
    }
}

static bool overlaps(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len) {
    return a < b + b_len && b < a + a_len;
}

static const tflm_model_obj_t *model_using(const uint8_t *arena, size_t size) {
    for (const tflm_model_obj_t *m = open_models; m != NULL; m = m->next_open) {
        if (overlaps(arena, size, m->arena, m->arena_size)) {
            return m;
        }
    }
    return NULL;
}

// A script's arena buffer must be its model's alone: TFLM keeps its working state in it.
static void check_arena_free(const uint8_t *arena, size_t size, const uint8_t *model, size_t model_len) {
    if (overlaps(arena, size, model, model_len)) {
        mp_raise_ValueError(MP_ERROR_TEXT("the arena overlaps the model's own bytes"));
    }
    if (model_using(arena, size) != NULL) {
        // An unreachable model may still hold it until the GC finalises it.
        gc_collect();
        if (model_using(arena, size) != NULL) {
            mp_raise_ValueError(MP_ERROR_TEXT("the arena is in use by another open model; close it first"));
        }
    }
}

static mp_obj_t model_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *all_args) {
    enum { ARG_model, ARG_arena, ARG_profile };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_model, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_arena, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_obj = mp_const_none} },
        { MP_QSTR_profile, MP_ARG_KW_ONLY | MP_ARG_BOOL, {.u_bool = false} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all_kw_array(n_args, n_kw, all_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);

    mp_obj_t source = args[ARG_model].u_obj;
    if (mp_obj_is_str(source)) {
        source = open_model_file(source);
    }
    mp_buffer_info_t model_buf;
    if (mp_get_buffer(source, &model_buf, MP_BUFFER_WRITE)) {
        // TFLM reads the flatbuffer again while it runs: a buffer the script can change or
        // resize (a bytearray) is copied, so only what was verified is ever read.
        source = mp_obj_new_bytes(model_buf.buf, model_buf.len);
    }
    mp_get_buffer_raise(source, &model_buf, MP_BUFFER_READ);
    if (((uintptr_t)model_buf.buf & (MODEL_ALIGN - 1)) != 0) {
        // A /rom packed by stock `mpremote romfs build` does not align file data: use a copy
        // (heap blocks are aligned); `host romfs` aligns it, and then nothing is copied.
        nlr_buf_t nlr;
        if (nlr_push(&nlr) == 0) {
            source = mp_obj_new_bytes(model_buf.buf, model_buf.len);
            nlr_pop();
        } else {
            mp_raise_msg_varg(&mp_type_ValueError,
                MP_ERROR_TEXT("the model is not %d-byte aligned and the heap has no room for an "
                    "aligned copy of its %u bytes; pack /rom with host romfs, which aligns it"),
                MODEL_ALIGN, (unsigned)model_buf.len);
        }
        mp_get_buffer_raise(source, &model_buf, MP_BUFFER_READ);
    }

    const char *error = tflm_validate(model_buf.buf, model_buf.len);
    if (error != NULL) {
        raise_model_error(error);
    }
    int version;
    const char *missing = tflm_missing_op(model_buf.buf, &version);
    if (missing != NULL) {
        mp_raise_msg_varg(&mp_type_ValueError,
            MP_ERROR_TEXT("this firmware lacks operator %s (version %d); build firmware with it: "
                "host build --board BOARD --ops-from MODEL.tflite"), missing, version);
    }

    tflm_model_obj_t *self = mp_obj_malloc_with_finaliser(tflm_model_obj_t, type);
    self->source = source;
    self->data = model_buf.buf;
    self->len = model_buf.len;
    self->inputs = mp_const_empty_tuple;
    self->outputs = mp_const_empty_tuple;
    self->arena_buffer = MP_OBJ_NULL;
    self->storage = m_malloc(tflm_interpreter_size());
    self->profiler = NULL;
    if (args[ARG_profile].u_bool) {
        // Allocated here, once: profiled invokes allocate nothing either.
        size_t op_count = tflm_main_op_count(self->data);
        self->profiler = tflm_profiler_init(m_malloc(tflm_profiler_size(op_count)), self->data, op_count);
    }

    mp_obj_t arena_arg = args[ARG_arena].u_obj;
    mp_buffer_info_t arena_buf;
    if (arena_arg == mp_const_none) {
        size_t used = measure_arena(self, &error);
        if (used == 0) {
            raise_model_error(error);
        }
        self->arena_size = (used + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
        self->arena = m_malloc(self->arena_size);
        self->arena_owner = self->arena;
    } else if (mp_obj_is_int(arena_arg)) {
        mp_int_t size = mp_obj_get_int(arena_arg);
        if (size <= 0) {
            mp_raise_ValueError(MP_ERROR_TEXT("arena size must be positive"));
        }
        self->arena_size = size;
        self->arena = m_malloc(self->arena_size);
        self->arena_owner = self->arena;
    } else {
        if (!mp_get_buffer(arena_arg, &arena_buf, MP_BUFFER_WRITE)) {
            mp_raise_TypeError(MP_ERROR_TEXT("arena must be None, a size or a writable buffer"));
        }
        check_arena_free(arena_buf.buf, arena_buf.len, self->data, self->len);
        self->arena = arena_buf.buf;
        self->arena_size = arena_buf.len;
        self->arena_owner = MP_OBJ_TO_PTR(arena_arg);
        self->arena_buffer = arena_arg;
    }

    error = self->arena_size < tflm_arena_minimum() ? "arena too small"
        : model_create(self, self->arena, self->arena_size, self->profiler);
    if (error != NULL) {
        if (arena_arg != mp_const_none) {
            // The trial runs below reuse the glue's message buffer: keep this message first.
            mp_obj_t message = mp_obj_new_str(error, strlen(error));
            // Say how much the model needs, measured in a trial arena of the free heap.
            const char *trial_error;
            size_t needed = measure_arena(self, &trial_error);
            if (needed > self->arena_size) {
                mp_raise_msg_varg(&mp_type_ValueError,
                    MP_ERROR_TEXT("arena too small: the model needs %u bytes, the arena has %u"),
                    (unsigned)needed, (unsigned)self->arena_size);
            }
            // TFLM allocates from both ends of the arena towards boundaries of ARENA_ALIGN bytes:
            // a buffer that does not start on one has fewer usable bytes than its length (TFLM
            // then fails with a message about something else, such as "Too many buffers").
            uintptr_t start = (uintptr_t)self->arena;
            uintptr_t end = (start + self->arena_size) & ~(uintptr_t)(ARENA_ALIGN - 1);
            start = (start + ARENA_ALIGN - 1) & ~(uintptr_t)(ARENA_ALIGN - 1);
            size_t usable = end > start ? end - start : 0;
            if (needed > usable) {
                mp_raise_msg_varg(&mp_type_ValueError,
                    MP_ERROR_TEXT("arena too small: the model needs %u bytes, the arena has %u, %u of them"
                        " between %u-byte boundaries"),
                    (unsigned)needed, (unsigned)self->arena_size, (unsigned)usable, ARENA_ALIGN);
            }
            nlr_raise(mp_obj_new_exception_arg1(&mp_type_ValueError, message));
        }
        raise_model_error(error);
    }
    self->interp = self->storage;
    self->arena_used = tflm_arena_used(self->interp);
    self->next_open = open_models;
    open_models = self;
    model_make_tensors(self);
    return MP_OBJ_FROM_PTR(self);
}

static void model_print(const mp_print_t *print, mp_obj_t self_in, mp_print_kind_t kind) {
    tflm_model_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (self->interp == NULL) {
        mp_printf(print, "<Model closed>");
        return;
    }
    mp_printf(print, "<Model %u bytes, %u inputs, %u outputs, arena %u/%u bytes>", (unsigned)self->len,
        (unsigned)tflm_io_count(self->interp, false), (unsigned)tflm_io_count(self->interp, true),
        (unsigned)self->arena_used, (unsigned)self->arena_size);
}

static mp_obj_t model_close(mp_obj_t self_in);

// The model's interpreter invoked (or, with `reset`, reset) as a TFLM call (runtime_hooks.h).
// Never inlined: the call must be in a frame below model_run's nlr_push.
static MP_NOINLINE const char *model_call(tflm_model_obj_t *self, bool reset) {
    nlr_jump_callback_node_t call;
    tinyml_tflm_begin(&call);
    const char *error;
    if (reset) {
        error = tflm_reset(self->interp);
    } else if (self->profiler != NULL) {
        error = tflm_invoke_profiled(self->interp, self->profiler);
    } else {
        error = tflm_invoke(self->interp);
    }
    tinyml_tflm_end();
    return error;
}

// Runs model_call. A kernel that gives up inside it (TFLM's abort() or a failed assertion,
// raised as a RuntimeError by runtime_hooks.c) leaves the interpreter in the middle of an
// operator, which TFLM never goes back to: the model is closed, and the exception says so.
static const char *model_run(tflm_model_obj_t *self, bool reset) {
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        const char *error = model_call(self, reset);
        nlr_pop();
        return error;
    }
    mp_obj_t exc = MP_OBJ_FROM_PTR(nlr.ret_val);
    if (!mp_obj_exception_match(exc, MP_OBJ_FROM_PTR(&mp_type_RuntimeError))) {
        nlr_jump(nlr.ret_val);
    }
    model_close(MP_OBJ_FROM_PTR(self));
    mp_raise_msg_varg(&mp_type_RuntimeError, MP_ERROR_TEXT("%s; the model was closed"),
        mp_obj_str_get_str(mp_obj_exception_get_value(exc)));
}

static mp_obj_t model_invoke(mp_obj_t self_in) {
    tflm_model_obj_t *self = MP_OBJ_TO_PTR(self_in);
    check_open(self);
    const char *error = model_run(self, false);
    if (error != NULL) {
        mp_raise_msg_varg(&mp_type_RuntimeError, MP_ERROR_TEXT("%s"), error);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(model_invoke_obj, model_invoke);

// model.reset(): the model's state (resource variables, an LSTM's variable tensors) back to
// where it was before the first invoke.
static mp_obj_t model_reset(mp_obj_t self_in) {
    tflm_model_obj_t *self = MP_OBJ_TO_PTR(self_in);
    check_open(self);
    const char *error = model_run(self, true);
    if (error != NULL) {
        mp_raise_msg_varg(&mp_type_RuntimeError, MP_ERROR_TEXT("%s"), error);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(model_reset_obj, model_reset);

// model.benchmark(n): ticks_us spent in n invokes run by a C loop, with no Python in between.
// Ctrl-C stops it between two invokes.
static mp_obj_t model_benchmark(mp_obj_t self_in, mp_obj_t n_in) {
    tflm_model_obj_t *self = MP_OBJ_TO_PTR(self_in);
    check_open(self);
    mp_int_t n = mp_obj_get_int(n_in);
    if (n < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("n must be >= 0"));
    }
    const char *error = NULL;
    mp_uint_t start = mp_hal_ticks_us();
    for (mp_int_t i = 0; i < n && error == NULL; i++) {
        error = model_run(self, false);
        if (MP_STATE_THREAD(mp_pending_exception) != MP_OBJ_NULL) {
            break;
        }
    }
    mp_uint_t elapsed = (mp_hal_ticks_us() - start) & (MICROPY_PY_TIME_TICKS_PERIOD - 1);
    mp_handle_pending(true);
    if (error != NULL) {
        mp_raise_msg_varg(&mp_type_RuntimeError, MP_ERROR_TEXT("%s"), error);
    }
    return mp_obj_new_int_from_uint(elapsed);
}
static MP_DEFINE_CONST_FUN_OBJ_2(model_benchmark_obj, model_benchmark);

// model.profile(): ((operator name, ticks), ...) for each operator of the main subgraph in
// execution order, the ticks_us ticks summed over the invokes since the model was made or
// profile() was last called; the sums then start again.
static mp_obj_t model_profile(mp_obj_t self_in) {
    tflm_model_obj_t *self = MP_OBJ_TO_PTR(self_in);
    check_open(self);
    if (self->profiler == NULL) {
        mp_raise_ValueError(MP_ERROR_TEXT("the model is not profiled; make it with profile=True"));
    }
    size_t n = tflm_main_op_count(self->data);
    mp_obj_tuple_t *rows = MP_OBJ_TO_PTR(mp_obj_new_tuple(n, NULL));
    for (size_t i = 0; i < n; i++) {
        uint32_t ticks;
        const char *name = tflm_profiler_entry(self->profiler, i, &ticks);
        mp_obj_t row[2] = { mp_obj_new_str_from_cstr(name), mp_obj_new_int_from_uint(ticks) };
        rows->items[i] = mp_obj_new_tuple(2, row);
    }
    tflm_profiler_clear(self->profiler);
    return MP_OBJ_FROM_PTR(rows);
}
static MP_DEFINE_CONST_FUN_OBJ_1(model_profile_obj, model_profile);

static mp_obj_t model_io(mp_obj_t self_in, mp_obj_t index_in, bool output) {
    tflm_model_obj_t *self = MP_OBJ_TO_PTR(self_in);
    check_open(self);
    mp_obj_tuple_t *tuple = MP_OBJ_TO_PTR(output ? self->outputs : self->inputs);
    mp_int_t index = mp_obj_get_int(index_in);
    if (index < 0 || (size_t)index >= tuple->len) {
        mp_raise_msg_varg(&mp_type_IndexError, MP_ERROR_TEXT("model has %u %s"), (unsigned)tuple->len,
            output ? "outputs" : "inputs");
    }
    return tuple->items[index];
}

static mp_obj_t model_input(mp_obj_t self_in, mp_obj_t index_in) {
    return model_io(self_in, index_in, false);
}
static MP_DEFINE_CONST_FUN_OBJ_2(model_input_obj, model_input);

static mp_obj_t model_output(mp_obj_t self_in, mp_obj_t index_in) {
    return model_io(self_in, index_in, true);
}
static MP_DEFINE_CONST_FUN_OBJ_2(model_output_obj, model_output);

// Frees the interpreter and drops the arena; the model's tensors keep their memory while
// they live, but every method now raises.
//
// TFLM's MicroInterpreter destructor is never run: all it does is call the kernels' free
// hooks, which no TFLM kernel has, and from a finaliser it would read an arena the GC may
// already have handed out again.
static mp_obj_t model_close(mp_obj_t self_in) {
    tflm_model_obj_t *self = MP_OBJ_TO_PTR(self_in);
    model_unlink(self);
    m_del(uint8_t, self->storage, tflm_interpreter_size());
    self->storage = NULL;
    if (self->profiler != NULL) {
        m_del(uint8_t, self->profiler, tflm_profiler_size(tflm_main_op_count(self->data)));
        self->profiler = NULL;
    }
    // The model's bytes (a copy, or a file's) are no longer needed: let the GC have them.
    self->source = mp_const_none;
    self->data = NULL;
    self->len = 0;
    self->arena_size = 0;
    self->arena_used = 0;
    self->arena = NULL;
    self->arena_owner = NULL;
    self->arena_buffer = MP_OBJ_NULL;
    self->inputs = mp_const_empty_tuple;
    self->outputs = mp_const_empty_tuple;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(model_close_obj, model_close);

// The finaliser runs inside the GC sweep, where freeing heap blocks is not allowed.
static mp_obj_t model_del(mp_obj_t self_in) {
    model_unlink(MP_OBJ_TO_PTR(self_in));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(model_del_obj, model_del);

static mp_obj_t model_exit(size_t n_args, const mp_obj_t *args) {
    return model_close(args[0]);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(model_exit_obj, 4, 4, model_exit);

static mp_obj_t model_ops(tflm_model_obj_t *self) {
    size_t n = tflm_model_op_count(self->data);
    mp_obj_tuple_t *ops = MP_OBJ_TO_PTR(mp_obj_new_tuple(n, NULL));
    for (size_t i = 0; i < n; i++) {
        int version;
        const char *name = tflm_model_op(self->data, i, &version);
        mp_obj_t pair[2] = { mp_obj_new_str_from_cstr(name), MP_OBJ_NEW_SMALL_INT(version) };
        ops->items[i] = mp_obj_new_tuple(2, pair);
    }
    return MP_OBJ_FROM_PTR(ops);
}

static void model_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest) {
    tflm_model_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (dest[0] != MP_OBJ_NULL) {
        return;
    }
    switch (attr) {
        case MP_QSTR_inputs:
            check_open(self);
            dest[0] = self->inputs;
            break;
        case MP_QSTR_outputs:
            check_open(self);
            dest[0] = self->outputs;
            break;
        case MP_QSTR_arena_size:
            dest[0] = mp_obj_new_int_from_uint(self->arena_size);
            break;
        case MP_QSTR_arena_used:
            dest[0] = mp_obj_new_int_from_uint(self->arena_used);
            break;
        case MP_QSTR_ops:
            check_open(self);
            dest[0] = model_ops(self);
            break;
        default:
            dest[1] = MP_OBJ_SENTINEL;
    }
}

static const mp_rom_map_elem_t model_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR_invoke), MP_ROM_PTR(&model_invoke_obj) },
    { MP_ROM_QSTR(MP_QSTR_reset), MP_ROM_PTR(&model_reset_obj) },
    { MP_ROM_QSTR(MP_QSTR_benchmark), MP_ROM_PTR(&model_benchmark_obj) },
    { MP_ROM_QSTR(MP_QSTR_profile), MP_ROM_PTR(&model_profile_obj) },
    { MP_ROM_QSTR(MP_QSTR_input), MP_ROM_PTR(&model_input_obj) },
    { MP_ROM_QSTR(MP_QSTR_output), MP_ROM_PTR(&model_output_obj) },
    { MP_ROM_QSTR(MP_QSTR_close), MP_ROM_PTR(&model_close_obj) },
    { MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&model_del_obj) },
    { MP_ROM_QSTR(MP_QSTR___enter__), MP_ROM_PTR(&mp_identity_obj) },
    { MP_ROM_QSTR(MP_QSTR___exit__), MP_ROM_PTR(&model_exit_obj) },
};
static MP_DEFINE_CONST_DICT(model_locals_dict, model_locals_dict_table);

MP_DEFINE_CONST_OBJ_TYPE(
    tflm_model_type,
    MP_QSTR_Model,
    MP_TYPE_FLAG_NONE,
    make_new, model_make_new,
    print, model_print,
    attr, model_attr,
    locals_dict, &model_locals_dict
    );

/******************************************************************************/
// Module

static mp_obj_t tflm_ops(void) {
    size_t n = tflm_firmware_op_count();
    mp_obj_tuple_t *ops = MP_OBJ_TO_PTR(mp_obj_new_tuple(n, NULL));
    for (size_t i = 0; i < n; i++) {
        ops->items[i] = mp_obj_new_str_from_cstr(tflm_firmware_op(i));
    }
    return MP_OBJ_FROM_PTR(ops);
}
static MP_DEFINE_CONST_FUN_OBJ_0(tflm_ops_obj, tflm_ops);

static const MP_DEFINE_STR_OBJ(tflm_version_obj,
    "tinyml-mpy " TINYML_VERSION "; TFLM " TINYML_TFLM_PIN "; MicroPython " MICROPY_VERSION_STRING);

static const mp_rom_map_elem_t tflm_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__tflm) },
    { MP_ROM_QSTR(MP_QSTR_Model), MP_ROM_PTR(&tflm_model_type) },
    { MP_ROM_QSTR(MP_QSTR_Tensor), MP_ROM_PTR(&tflm_tensor_type) },
    { MP_ROM_QSTR(MP_QSTR_ops), MP_ROM_PTR(&tflm_ops_obj) },
    { MP_ROM_QSTR(MP_QSTR_version), MP_ROM_PTR(&tflm_version_obj) },
};
static MP_DEFINE_CONST_DICT(tflm_module_globals, tflm_module_globals_table);

const mp_obj_module_t tflm_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&tflm_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__tflm, tflm_user_cmodule);
