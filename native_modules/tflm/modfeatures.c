// _features: the integer features of device/tinyml/features.py and the sliding Window of
// device/tinyml/window.py, in C. The Python files are the definitions; every result here is
// the same integers (tests/host/test_features.py and tests/test_features_board.py compare
// them), about 75 times faster on a Cortex-M4. tinyml.features and tinyml.window use this module
// when the firmware has it.
//
// Nothing here allocates on the heap while it runs: the FFT works in static scratch (the
// functions are not re-entrant; a second thread calling one while another runs gets a
// RuntimeError), and the tables are computed once, on first use, into static storage.

#include <string.h>

#include "py/binary.h"
#include "py/objarray.h"
#include "py/runtime.h"

// The largest FFT: 2**FEATURES_MAX_LOG2 points (a 512-point frame is 32 ms at 16 kHz).
#define FEATURES_MAX_LOG2 (9)
#define FEATURES_MAX_N (1 << FEATURES_MAX_LOG2)
#define FEATURES_MAX_BANDS (256)

#define Q28 ((int64_t)1 << 28)
#define PI_Q28 ((int64_t)843314857) // round(pi * 2**28)

// round(16 * log2(1 + i / 16)): the fraction of a log2 in sixteenths
static const uint8_t log2_fraction[16] = {0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15};

// The tables of the largest FFT; a smaller one of 2**k points uses every 2**(9-k)-th entry
// (the Python tables of the smaller size are exactly those entries).
static uint16_t hann_q15[FEATURES_MAX_N];      // periodic Hann window, 0..32768
static int16_t twiddle_cos[FEATURES_MAX_N / 2]; // Q14
static int16_t twiddle_sin[FEATURES_MAX_N / 2];
static uint16_t bit_reversed[FEATURES_MAX_N];
static bool tables_ready;

// Every value of the FFT stays within 15 bits (see compute_frame): int16 storage is exact.
static int16_t fft_re[FEATURES_MAX_N];
static int16_t fft_im[FEATURES_MAX_N];
static uint16_t edge_bins[FEATURES_MAX_BANDS + 1];
static int32_t band_sums[FEATURES_MAX_BANDS + 1];
static volatile bool busy;

// Python's floor division, for a positive divisor.
static inline int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

// features.py's _cos_q15(k, n) for n = 512: the same Taylor series in Q28.
static int32_t cos_q15(int32_t k, int32_t n) {
    if (4 * k > n) {
        return -cos_q15(n / 2 - k, n);
    }
    int64_t x = 2 * PI_Q28 * k / n; // non-negative: truncation is the floor
    int64_t x2 = (x * x) >> 28;
    int64_t term = Q28;
    int64_t total = Q28;
    for (int i = 1; i < 12; i++) {
        term = floor_div(-term * x2, Q28 * (2 * i - 1) * (2 * i));
        total += term;
    }
    return (int32_t)((total + (1 << 12)) >> 13);
}

static void make_tables(void) {
    const int32_t n = FEATURES_MAX_N;
    int32_t *cos_table = (int32_t *)band_sums; // scratch: 257 values, before any use
    MP_STATIC_ASSERT(FEATURES_MAX_BANDS + 1 >= FEATURES_MAX_N / 2 + 1);
    for (int32_t k = 0; k <= n / 2; k++) {
        cos_table[k] = cos_q15(k, n);
    }
    for (int32_t k = 0; k < n; k++) {
        hann_q15[k] = (uint16_t)((32768 - cos_table[k <= n / 2 ? k : n - k]) >> 1);
        uint32_t reversed = 0;
        for (int bit = 0; bit < FEATURES_MAX_LOG2; bit++) {
            reversed |= ((k >> bit) & 1) << (FEATURES_MAX_LOG2 - 1 - bit);
        }
        bit_reversed[k] = (uint16_t)reversed;
    }
    const int32_t quarter = n / 4;
    for (int32_t k = 0; k < n / 2; k++) {
        twiddle_cos[k] = (int16_t)((cos_table[k] + 1) >> 1);
        twiddle_sin[k] = (int16_t)((cos_table[k <= quarter ? quarter - k : k - quarter] + 1) >> 1);
    }
    tables_ready = true;
}

// features.py's log2_q4 for a positive value.
static int32_t log2_q4(uint64_t value) {
    int32_t msb = 63 - __builtin_clzll(value);
    uint32_t fraction = msb >= 4 ? (uint32_t)(value >> (msb - 4)) & 15 : (uint32_t)(value << (4 - msb)) & 15;
    return 16 * msb + log2_fraction[fraction];
}

// Samples: a buffer of integers that fit in 32 bits.
typedef struct _samples_t {
    const void *buf;
    size_t len; // in items
    char typecode;
} samples_t;

static samples_t get_samples(mp_obj_t obj, const char *what) {
    mp_buffer_info_t info;
    if (!mp_get_buffer(obj, &info, MP_BUFFER_READ)) {
        mp_raise_msg_varg(&mp_type_TypeError, MP_ERROR_TEXT("%s must be a buffer of integers, such as array('h')"), what);
    }
    // a bytearray's items are unsigned bytes
    char typecode = info.typecode == BYTEARRAY_TYPECODE ? 'B' : info.typecode;
    samples_t samples = {info.buf, 0, typecode};
    switch (typecode) {
        case 'b':
        case 'B':
            samples.len = info.len;
            break;
        case 'h':
        case 'H':
            samples.len = info.len / 2;
            break;
        case 'i':
            samples.len = info.len / 4;
            break;
        default:
            mp_raise_msg_varg(&mp_type_TypeError,
                MP_ERROR_TEXT("%s must hold integers of typecode b, B, h, H or i, not '%c'"), what, info.typecode);
    }
    return samples;
}

static inline int32_t sample_at(const samples_t *samples, size_t i) {
    switch (samples->typecode) {
        case 'h':
            return ((const int16_t *)samples->buf)[i];
        case 'H':
            return ((const uint16_t *)samples->buf)[i];
        case 'b':
            return ((const int8_t *)samples->buf)[i];
        case 'B':
            return ((const uint8_t *)samples->buf)[i];
        default:
            return ((const int32_t *)samples->buf)[i];
    }
}

// Outputs: a writable buffer of bytes, int8 ('b') or uint8 ('B', a bytearray), holding at
// least `needed` items from `start`.
typedef struct _out_t {
    uint8_t *buf;
    bool is_unsigned;
} out_t;

static out_t get_out(mp_obj_t obj, const char *fn, size_t start, size_t needed) {
    mp_buffer_info_t info;
    if (!mp_get_buffer(obj, &info, MP_BUFFER_WRITE)) {
        mp_raise_msg_varg(&mp_type_TypeError,
            MP_ERROR_TEXT("%s: out must be a writable buffer of int8, such as array('b')"), fn);
    }
    if (info.typecode != 'b' && info.typecode != 'B' && info.typecode != BYTEARRAY_TYPECODE) {
        mp_raise_msg_varg(&mp_type_TypeError,
            MP_ERROR_TEXT("%s: out must hold int8 (typecode b or B), not '%c'"), fn, info.typecode);
    }
    if (start > info.len || needed > info.len - start) {
        mp_raise_msg_varg(&mp_type_ValueError,
            MP_ERROR_TEXT("%s: out holds %u values, %u are written from index %u"),
            fn, (unsigned)info.len, (unsigned)needed, (unsigned)start);
    }
    return (out_t) {(uint8_t *)info.buf + start, info.typecode != 'b'};
}

static int32_t get_frame_log2(mp_obj_t obj, const char *fn) {
    mp_int_t frame_log2 = mp_obj_get_int(obj);
    // From 2: features.py's 2-point tables are not those of a larger FFT (its sine table
    // starts at 1 there).
    if (frame_log2 < 2 || frame_log2 > FEATURES_MAX_LOG2) {
        mp_raise_msg_varg(&mp_type_ValueError,
            MP_ERROR_TEXT("%s: frame_log2 must be between 2 and %d"), fn, FEATURES_MAX_LOG2);
    }
    return (int32_t)frame_log2;
}

// The band edges into edge_bins; returns the number of bands.
static size_t get_edges(mp_obj_t obj, int32_t frame_log2, const char *fn) {
    size_t len;
    mp_obj_t *items;
    mp_obj_get_array(obj, &len, &items);
    if (len < 2 || len > FEATURES_MAX_BANDS + 1) {
        mp_raise_msg_varg(&mp_type_ValueError,
            MP_ERROR_TEXT("%s: edges must hold 2 to %d bins"), fn, FEATURES_MAX_BANDS + 1);
    }
    mp_int_t n = (mp_int_t)1 << frame_log2;
    for (size_t i = 0; i < len; i++) {
        mp_int_t bin = mp_obj_get_int(items[i]);
        if (bin < 0 || bin > n) {
            mp_raise_msg_varg(&mp_type_ValueError,
                MP_ERROR_TEXT("%s: edges must be FFT bins from 0 to %d"), fn, (int)n);
        }
        edge_bins[i] = (uint16_t)bin;
    }
    return len - 1;
}

static void claim(void) {
    if (busy) {
        mp_raise_msg(&mp_type_RuntimeError, MP_ERROR_TEXT("features: already running in another thread"));
    }
    busy = true;
    if (!tables_ready) {
        make_tables();
    }
}

// features.py's frame_bands: one frame's int8 log band energies into out[0:bands], and
// added to band_sums (as `out` holds them) when `sum` is set.
static void compute_frame(const samples_t *samples, size_t start, int32_t frame_log2, size_t bands,
    int32_t offset, const out_t *out, bool sum) {
    const int32_t n = 1 << frame_log2;
    const int32_t stride = FEATURES_MAX_N >> frame_log2; // into the 512-point tables
    const int32_t reverse_shift = FEATURES_MAX_LOG2 - frame_log2;

    int64_t total = 0;
    for (int32_t i = 0; i < n; i++) {
        total += sample_at(samples, start + i);
    }
    int64_t mean = total >> frame_log2; // n is a power of two: the shift is Python's floor //
    int64_t peak = 0;
    for (int32_t i = 0; i < n; i++) {
        int64_t value = ((sample_at(samples, start + i) - mean) * hann_q15[i * stride]) >> 15;
        if (value < 0) {
            value = -value;
        }
        if (value > peak) {
            peak = value;
        }
    }
    int32_t shift = peak ? 14 - (64 - __builtin_clzll((uint64_t)peak)) : 0;
    // The windowed values again, now brought to 14 bits (they fit in 32 bits only then).
    for (int32_t i = 0; i < n; i++) {
        int64_t value = ((sample_at(samples, start + i) - mean) * hann_q15[i * stride]) >> 15;
        value = shift >= 0 ? value * ((int64_t)1 << shift) : value >> -shift;
        fft_re[bit_reversed[i] >> reverse_shift] = (int16_t)value;
        fft_im[i] = 0;
    }
    // Radix-2 decimation in time, halving each stage. A butterfly's outputs are at most the
    // larger magnitude of its inputs (plus a unit of rounding), so from 14 bits every value
    // stays within 15 and every product within 29 bits, as in features.py.
    for (int32_t size = 2; size <= n; size <<= 1) {
        int32_t half = size >> 1;
        int32_t step = (n / size) * stride;
        for (int32_t j = 0; j < half; j++) {
            int32_t wr = twiddle_cos[j * step];
            int32_t wi = twiddle_sin[j * step];
            for (int32_t a = j; a < n; a += size) {
                int32_t b = a + half;
                int32_t br = fft_re[b];
                int32_t bi = fft_im[b];
                int32_t tr = (wr * br + wi * bi) >> 14;
                int32_t ti = (wr * bi - wi * br) >> 14;
                int32_t ar = fft_re[a];
                int32_t ai = fft_im[a];
                fft_re[b] = (int16_t)((ar - tr) >> 1);
                fft_im[b] = (int16_t)((ai - ti) >> 1);
                fft_re[a] = (int16_t)((ar + tr) >> 1);
                fft_im[a] = (int16_t)((ai + ti) >> 1);
            }
        }
    }
    int32_t scale_q4 = 32 * (frame_log2 - shift);
    for (size_t band = 0; band < bands; band++) {
        int64_t energy = 0;
        for (int32_t k = edge_bins[band]; k < edge_bins[band + 1]; k++) {
            energy += (int32_t)fft_re[k] * fft_re[k] + (int32_t)fft_im[k] * fft_im[k];
        }
        int32_t value = -128;
        if (energy) {
            value = ((log2_q4((uint64_t)energy) + scale_q4) >> 2) - offset;
            value = value < -128 ? -128 : value > 127 ? 127 : value;
        }
        out->buf[band] = (uint8_t)value;
        if (sum) {
            // features.py reads each value back from `out`: as a bytearray holds it, if it is one
            band_sums[band] += out->is_unsigned ? (uint8_t)value : value;
        }
    }
}

static int32_t get_offset(mp_obj_t obj) {
    mp_int_t offset = mp_obj_get_int(obj);
    if (offset < -0x10000 || offset > 0x10000) {
        mp_raise_ValueError(MP_ERROR_TEXT("features: offset must be between -65536 and 65536"));
    }
    return (int32_t)offset;
}

// frame_bands(samples, start, frame_log2, edges, offset, out, out_start)
static mp_obj_t features_frame_bands(size_t n_args, const mp_obj_t *args) {
    static const char fn[] = "frame_bands";
    samples_t samples = get_samples(args[0], "frame_bands: samples");
    mp_int_t start = mp_obj_get_int(args[1]);
    int32_t frame_log2 = get_frame_log2(args[2], fn);
    size_t bands = get_edges(args[3], frame_log2, fn);
    int32_t offset = get_offset(args[4]);
    mp_int_t out_start = mp_obj_get_int(args[6]);
    size_t n = (size_t)1 << frame_log2;
    if (start < 0 || (size_t)start > samples.len || samples.len - start < n) {
        mp_raise_msg_varg(&mp_type_ValueError,
            MP_ERROR_TEXT("frame_bands: samples holds %u values, a frame needs %u from index %d"),
            (unsigned)samples.len, (unsigned)n, (int)start);
    }
    if (out_start < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("frame_bands: out_start must be >= 0"));
    }
    out_t out = get_out(args[5], fn, out_start, bands);
    claim();
    compute_frame(&samples, start, frame_log2, bands, offset, &out, false);
    busy = false;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(features_frame_bands_obj, 7, 7, features_frame_bands);

// log_spectrogram(audio, out, frame_log2, hop, edges, offset) -> frames
static mp_obj_t features_log_spectrogram(size_t n_args, const mp_obj_t *args) {
    static const char fn[] = "log_spectrogram";
    samples_t audio = get_samples(args[0], "log_spectrogram: audio");
    int32_t frame_log2 = get_frame_log2(args[2], fn);
    mp_int_t hop = mp_obj_get_int(args[3]);
    size_t bands = get_edges(args[4], frame_log2, fn);
    int32_t offset = get_offset(args[5]);
    size_t n = (size_t)1 << frame_log2;
    if (hop < 1) {
        mp_raise_ValueError(MP_ERROR_TEXT("log_spectrogram: hop must be >= 1"));
    }
    if (audio.len < n) {
        mp_raise_msg_varg(&mp_type_ValueError,
            MP_ERROR_TEXT("log_spectrogram: audio holds %u samples, fewer than one frame (%u)"),
            (unsigned)audio.len, (unsigned)n);
    }
    size_t frames = 1 + (audio.len - n) / hop;
    out_t out = get_out(args[1], fn, 0, frames * bands);
    claim();
    for (size_t frame = 0; frame < frames; frame++) {
        compute_frame(&audio, frame * hop, frame_log2, bands, offset, &out, false);
        out.buf += bands;
    }
    busy = false;
    return MP_OBJ_NEW_SMALL_INT(frames);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(features_log_spectrogram_obj, 6, 6, features_log_spectrogram);

// vibration_features(samples, out, frame_log2, edges, offset)
static mp_obj_t features_vibration_features(size_t n_args, const mp_obj_t *args) {
    static const char fn[] = "vibration_features";
    samples_t samples = get_samples(args[0], "vibration_features: samples");
    int32_t frame_log2 = get_frame_log2(args[2], fn);
    size_t bands = get_edges(args[3], frame_log2, fn);
    int32_t offset = get_offset(args[4]);
    size_t n = (size_t)1 << frame_log2;
    size_t frames = samples.len / n;
    if (frames == 0) {
        mp_raise_msg_varg(&mp_type_ValueError,
            MP_ERROR_TEXT("vibration_features: samples holds %u values, fewer than one frame (%u)"),
            (unsigned)samples.len, (unsigned)n);
    }
    if (frames > (1 << 22)) { // so that band_sums cannot overflow
        mp_raise_ValueError(MP_ERROR_TEXT("vibration_features: more than 4194304 frames"));
    }
    out_t out = get_out(args[1], fn, 0, bands);
    claim();
    memset(band_sums, 0, sizeof(band_sums));
    for (size_t frame = 0; frame < frames; frame++) {
        compute_frame(&samples, frame * n, frame_log2, bands, offset, &out, true);
    }
    for (size_t band = 0; band < bands; band++) {
        out.buf[band] = (uint8_t)floor_div(band_sums[band], frames);
    }
    busy = false;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(features_vibration_features_obj, 5, 5, features_vibration_features);

// motion_features(samples, out, shift)
static mp_obj_t features_motion_features(mp_obj_t samples_in, mp_obj_t out_in, mp_obj_t shift_in) {
    samples_t samples = get_samples(samples_in, "motion_features: samples");
    mp_int_t shift = mp_obj_get_int(shift_in);
    if (shift < 0 || shift > 31) {
        mp_raise_ValueError(MP_ERROR_TEXT("motion_features: shift must be between 0 and 31"));
    }
    size_t count = samples.len / 3;
    if (count == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("motion_features: samples holds no x, y, z reading"));
    }
    out_t out = get_out(out_in, "motion_features", 0, 3 * count);
    for (size_t axis = 0; axis < 3; axis++) {
        int64_t total = 0;
        for (size_t i = axis; i < 3 * count; i += 3) {
            total += sample_at(&samples, i);
        }
        int64_t mean = floor_div(total, count);
        for (size_t i = axis; i < 3 * count; i += 3) {
            int64_t value = (sample_at(&samples, i) - mean) >> shift;
            out.buf[i] = (uint8_t)(value < -128 ? -128 : value > 127 ? 127 : value);
        }
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(features_motion_features_obj, features_motion_features);

// ---------------------------------------------------------------------------------------
// Window: window.py's PyWindow with its state in C, so that push costs a call and two copies.

typedef struct _features_window_obj_t {
    mp_obj_base_t base;
    uint8_t *data;          // 2 * span items: every sample at i and i + span
    mp_obj_array_t *view;   // the memoryview view() re-points at the last span items
    mp_obj_t typecode_obj;
    size_t length;
    size_t channels;
    size_t hop;
    size_t span;            // length * channels, in items
    size_t write;           // next slot, in items
    size_t count;           // samples pushed since the last clear()
    size_t since_due;
    size_t item_size;
    char typecode;
    bool due;
} features_window_obj_t;

static const char window_typecodes[] = "BHIbdfhi"; // sorted, as window.py prints them

static bool window_due_now(features_window_obj_t *self) {
    bool due = self->since_due >= self->hop && self->count >= self->length;
    if (due) {
        self->since_due = 0;
    }
    self->due = due;
    return due;
}

static mp_obj_t window_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *all_args) {
    enum { ARG_length, ARG_channels, ARG_typecode, ARG_hop };
    static const mp_arg_t allowed_args[] = {
        { MP_QSTR_length, MP_ARG_REQUIRED | MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_channels, MP_ARG_INT, {.u_int = 1} },
        { MP_QSTR_typecode, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_QSTR(MP_QSTR_h)} },
        { MP_QSTR_hop, MP_ARG_OBJ, {.u_rom_obj = MP_ROM_NONE} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all_kw_array(n_args, n_kw, all_args, MP_ARRAY_SIZE(allowed_args), allowed_args, args);
    mp_int_t length = args[ARG_length].u_int;
    mp_int_t channels = args[ARG_channels].u_int;
    if (length < 1 || channels < 1) {
        mp_raise_ValueError(MP_ERROR_TEXT("Window: length and channels must be >= 1"));
    }
    mp_int_t hop = args[ARG_hop].u_obj == mp_const_none ? length : mp_obj_get_int(args[ARG_hop].u_obj);
    if (hop < 1 || hop > length) {
        mp_raise_msg_varg(&mp_type_ValueError, MP_ERROR_TEXT("Window: hop must be between 1 and length (%d)"), (int)length);
    }
    mp_obj_t typecode_obj = args[ARG_typecode].u_obj;
    size_t typecode_len = 0;
    const char *typecode = mp_obj_is_str(typecode_obj) ? mp_obj_str_get_data(typecode_obj, &typecode_len) : NULL;
    if (typecode_len != 1 || typecode[0] == 0 || strchr(window_typecodes, typecode[0]) == NULL) {
        vstr_t vstr;
        mp_print_t print;
        vstr_init_print(&vstr, 64, &print);
        mp_printf(&print, "Window: typecode must be one of %s, not ", window_typecodes);
        mp_obj_print_helper(&print, typecode_obj, PRINT_REPR);
        mp_raise_type_arg(&mp_type_ValueError, mp_obj_new_str_from_vstr(&vstr));
    }
    features_window_obj_t *self = mp_obj_malloc(features_window_obj_t, type);
    self->typecode = typecode[0];
    self->typecode_obj = typecode_obj;
    self->item_size = mp_binary_get_size('@', self->typecode, NULL);
    self->length = length;
    self->channels = channels;
    self->hop = hop;
    self->span = length * channels;
    self->data = m_new0(uint8_t, 2 * self->span * self->item_size);
    // Its items pointer is the start of the data block, so it keeps the block alive.
    self->view = m_new_obj(mp_obj_array_t);
    mp_obj_memoryview_init(self->view, self->typecode | MP_OBJ_ARRAY_TYPECODE_FLAG_RW, 0, self->span, self->data);
    self->write = 0;
    self->count = 0;
    self->since_due = 0;
    self->due = false;
    return MP_OBJ_FROM_PTR(self);
}

static bool is_integer_typecode(char typecode) {
    return typecode == BYTEARRAY_TYPECODE || (typecode != 0 && strchr("bBhHiIlLqQ", typecode) != NULL);
}

// Whether items of `typecode` are stored in the window as they are (what a[i] = b[j] does
// for items of the same typecode, or integers of the same size).
static bool copies_as_bytes(features_window_obj_t *self, char typecode) {
    if (typecode == self->typecode) {
        return true;
    }
    return is_integer_typecode(typecode) && is_integer_typecode(self->typecode)
           && mp_binary_get_size('@', typecode, NULL) == self->item_size;
}

static mp_obj_t window_push(mp_obj_t self_in, mp_obj_t sample) {
    features_window_obj_t *self = MP_OBJ_TO_PTR(self_in);
    size_t channels = self->channels;
    mp_buffer_info_t info;
    if (!mp_get_buffer(sample, &info, MP_BUFFER_READ)) {
        mp_raise_TypeError(MP_ERROR_TEXT("Window.push: sample must be a buffer, such as array('h')"));
    }
    size_t sample_size = mp_binary_get_size('@', info.typecode, NULL);
    size_t values = info.len / sample_size;
    if (values != channels) {
        mp_raise_msg_varg(&mp_type_ValueError,
            MP_ERROR_TEXT("Window.push: sample has %d values, window has %d channels"), (int)values, (int)channels);
    }
    if (sample_size != self->item_size) {
        // as a memoryview slice store of a buffer with another item size
        mp_raise_ValueError(MP_ERROR_TEXT("lhs and rhs should be compatible"));
    }
    size_t bytes = channels * self->item_size;
    uint8_t *slot = self->data + self->write * self->item_size;
    memcpy(slot, info.buf, bytes);
    memcpy(slot + self->span * self->item_size, info.buf, bytes);
    self->write += channels;
    if (self->write == self->span) {
        self->write = 0;
    }
    self->count += 1;
    self->since_due += 1;
    return mp_obj_new_bool(window_due_now(self));
}
static MP_DEFINE_CONST_FUN_OBJ_2(window_push_obj, window_push);

static size_t window_until_due_value(features_window_obj_t *self) {
    if (self->count < self->length) {
        return self->length - self->count;
    }
    return self->hop - self->since_due;
}

static mp_obj_t window_until_due(mp_obj_t self_in) {
    return MP_OBJ_NEW_SMALL_INT(window_until_due_value(MP_OBJ_TO_PTR(self_in)));
}
static MP_DEFINE_CONST_FUN_OBJ_1(window_until_due_obj, window_until_due);

// extend(samples, start=0, count=-1)
static mp_obj_t window_extend(size_t n_args, const mp_obj_t *args) {
    features_window_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    mp_obj_t samples = args[1];
    mp_int_t start = n_args > 2 ? mp_obj_get_int(args[2]) : 0;
    mp_int_t count = n_args > 3 ? mp_obj_get_int(args[3]) : -1;
    mp_buffer_info_t info;
    bool is_buffer = mp_get_buffer(samples, &info, MP_BUFFER_READ);
    mp_int_t len = is_buffer ? (mp_int_t)(info.len / mp_binary_get_size('@', info.typecode, NULL))
                             : mp_obj_get_int(mp_obj_len(samples));
    if (start < 0 || start > len) {
        mp_raise_msg_varg(&mp_type_ValueError,
            MP_ERROR_TEXT("Window.extend: start %d is outside the %d samples"), (int)start, (int)len);
    }
    mp_int_t channels = self->channels;
    mp_int_t available = (len - start) / channels;
    if (count < 0 || count > available) {
        count = available;
    }
    mp_int_t until_due = window_until_due_value(self);
    size_t take = count < until_due ? count : until_due;
    size_t items = take * channels;
    size_t span = self->span;
    size_t item_size = self->item_size;
    size_t i = self->write;
    if (is_buffer && copies_as_bytes(self, info.typecode)) {
        const uint8_t *src = (const uint8_t *)info.buf + start * item_size;
        size_t left = items;
        while (left) {
            size_t run = span - i < left ? span - i : left;
            memcpy(self->data + i * item_size, src, run * item_size);
            memcpy(self->data + (i + span) * item_size, src, run * item_size);
            src += run * item_size;
            left -= run;
            i += run;
            if (i == span) {
                i = 0;
            }
        }
    } else {
        // item by item, converted as a[i] = b[j] converts them
        for (size_t k = start; k < start + items; k++) {
            mp_obj_t value = is_buffer ? mp_binary_get_val_array(info.typecode, info.buf, k)
                                       : mp_obj_subscr(samples, MP_OBJ_NEW_SMALL_INT(k), MP_OBJ_SENTINEL);
            mp_binary_set_val_array(self->typecode, self->data, i, value);
            mp_binary_set_val_array(self->typecode, self->data, i + span, value);
            if (++i == span) {
                i = 0;
            }
        }
    }
    self->write = i;
    self->count += take;
    self->since_due += take;
    window_due_now(self);
    return MP_OBJ_NEW_SMALL_INT(take);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(window_extend_obj, 2, 4, window_extend);

static mp_obj_t window_view(mp_obj_t self_in) {
    // One memoryview, moved to the current start: a view per start offset would be one per
    // sample for a window read at every drain (a level trigger's poll), 16000 for 1 s of audio.
    features_window_obj_t *self = MP_OBJ_TO_PTR(self_in);
    self->view->free = self->write; // a memoryview's offset, in items (objarray.h)
    return MP_OBJ_FROM_PTR(self->view);
}
static MP_DEFINE_CONST_FUN_OBJ_1(window_view_obj, window_view);

static mp_obj_t window_restart_hop(mp_obj_t self_in) {
    features_window_obj_t *self = MP_OBJ_TO_PTR(self_in);
    self->since_due = 0;
    self->due = false;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(window_restart_hop_obj, window_restart_hop);

static mp_obj_t window_clear(mp_obj_t self_in) {
    features_window_obj_t *self = MP_OBJ_TO_PTR(self_in);
    self->count = 0;
    self->since_due = 0;
    self->due = false;
    self->write = 0;
    memset(self->data, 0, 2 * self->span * self->item_size);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(window_clear_obj, window_clear);

static void window_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest) {
    if (dest[0] != MP_OBJ_NULL) {
        return; // no stores or deletes: the attributes are read-only
    }
    features_window_obj_t *self = MP_OBJ_TO_PTR(self_in);
    switch (attr) {
        case MP_QSTR_count:
            dest[0] = mp_obj_new_int_from_uint(self->count);
            break;
        case MP_QSTR_due:
            dest[0] = mp_obj_new_bool(self->due);
            break;
        case MP_QSTR_full:
            dest[0] = mp_obj_new_bool(self->count >= self->length);
            break;
        case MP_QSTR_length:
            dest[0] = MP_OBJ_NEW_SMALL_INT(self->length);
            break;
        case MP_QSTR_channels:
            dest[0] = MP_OBJ_NEW_SMALL_INT(self->channels);
            break;
        case MP_QSTR_hop:
            dest[0] = MP_OBJ_NEW_SMALL_INT(self->hop);
            break;
        case MP_QSTR_typecode:
            dest[0] = self->typecode_obj;
            break;
        default:
            dest[1] = MP_OBJ_SENTINEL; // a method: look in locals_dict
    }
}

static const mp_rom_map_elem_t window_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR_push), MP_ROM_PTR(&window_push_obj) },
    { MP_ROM_QSTR(MP_QSTR_extend), MP_ROM_PTR(&window_extend_obj) },
    { MP_ROM_QSTR(MP_QSTR_view), MP_ROM_PTR(&window_view_obj) },
    { MP_ROM_QSTR(MP_QSTR_until_due), MP_ROM_PTR(&window_until_due_obj) },
    { MP_ROM_QSTR(MP_QSTR_restart_hop), MP_ROM_PTR(&window_restart_hop_obj) },
    { MP_ROM_QSTR(MP_QSTR_clear), MP_ROM_PTR(&window_clear_obj) },
};
static MP_DEFINE_CONST_DICT(window_locals_dict, window_locals_dict_table);

MP_DEFINE_CONST_OBJ_TYPE(
    features_window_type,
    MP_QSTR_Window,
    MP_TYPE_FLAG_NONE,
    make_new, window_make_new,
    attr, window_attr,
    locals_dict, &window_locals_dict
    );

static const mp_rom_map_elem_t features_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__features) },
    { MP_ROM_QSTR(MP_QSTR_frame_bands), MP_ROM_PTR(&features_frame_bands_obj) },
    { MP_ROM_QSTR(MP_QSTR_log_spectrogram), MP_ROM_PTR(&features_log_spectrogram_obj) },
    { MP_ROM_QSTR(MP_QSTR_vibration_features), MP_ROM_PTR(&features_vibration_features_obj) },
    { MP_ROM_QSTR(MP_QSTR_motion_features), MP_ROM_PTR(&features_motion_features_obj) },
    { MP_ROM_QSTR(MP_QSTR_Window), MP_ROM_PTR(&features_window_type) },
    { MP_ROM_QSTR(MP_QSTR_MAX_FRAME_LOG2), MP_ROM_INT(FEATURES_MAX_LOG2) },
};
static MP_DEFINE_CONST_DICT(features_module_globals, features_module_globals_table);

const mp_obj_module_t features_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&features_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__features, features_user_cmodule);
