/*
 * TIFF's LZW (compression 5) with the horizontal predictor, one strip at a time, in WebAssembly. It writes what libtiff
 * writes: codes most significant bit first, 9 to 12 bits wide, Clear (256) first and whenever the table fills, the
 * width growing one code early as TIFF readers expect, End of Information (257) last. About twice as fast as libvips'
 * encoder here, because the string table is a direct array (prefix code × next byte → code) rather than a hash: one
 * load per input byte. Only the entries a strip added are cleared after it, so small strips stay cheap.
 *
 * Build: node scripts/build-kernels.mjs (clang's wasm32 target and wasm-ld), which embeds the module in lzw-wasm.ts.
 */
#include <stdint.h>

#define CLEAR 256
#define END 257
#define FIRST 258
#define MIN_BITS 9
/* libtiff resets at 4094 codes, so that no 13-bit code is ever needed. */
#define RESET_AT 4094

/* table[prefix << 8 | byte] is the code of that string, 0 where there is none (no string has a code below FIRST). */
static uint16_t table[4096 * 256];
/* The slots a strip filled, cleared when the table resets and after the strip. */
static uint32_t filled[RESET_AT];

typedef struct {
  uint8_t *out;
  uint64_t bits;
  uint32_t count;
  uint32_t width;
} writer;

static inline void put(writer *w, uint32_t code) {
  w->bits = (w->bits << w->width) | code;
  w->count += w->width;
  if (w->count >= 32) {
    w->count -= 32;
    uint32_t word = (uint32_t)(w->bits >> w->count);
    w->out[0] = (uint8_t)(word >> 24);
    w->out[1] = (uint8_t)(word >> 16);
    w->out[2] = (uint8_t)(word >> 8);
    w->out[3] = (uint8_t)word;
    w->out += 4;
  }
}

static void clear_table(uint32_t n) {
  for (uint32_t i = 0; i < n; i++) table[filled[i]] = 0;
}

/*
 * Encodes `n` bytes at `in` into `out` and returns the strip's length in bytes. The worst case is 12 bits per byte
 * plus a Clear every 3 836 codes: LZW_BOUND in lzw.ts.
 */
__attribute__((export_name("lzw_strip"))) uint32_t lzw_strip(const uint8_t *in, uint32_t n, uint8_t *out) {
  writer w = {out, 0, 0, MIN_BITS};
  if (n == 0) return 0;
  uint32_t next = FIRST, limit = (1u << MIN_BITS) - 1, used = 0;
  put(&w, CLEAR);
  uint32_t prefix = in[0];
  for (uint32_t i = 1; i < n; i++) {
    uint32_t slot = prefix << 8 | in[i];
    uint32_t code = table[slot];
    if (code) {
      prefix = code;
      continue;
    }
    put(&w, prefix);
    prefix = in[i];
    table[slot] = (uint16_t)next;
    filled[used++] = slot;
    if (++next == RESET_AT) {
      put(&w, CLEAR);
      clear_table(used);
      used = 0;
      next = FIRST;
      w.width = MIN_BITS;
      limit = (1u << MIN_BITS) - 1;
    } else if (next > limit) {
      w.width++;
      limit = (1u << w.width) - 1;
    }
  }
  put(&w, prefix);
  /* The reader adds an entry for the last code too, and may widen before reading End, so the writer follows it. */
  if (++next == RESET_AT) {
    put(&w, CLEAR);
    w.width = MIN_BITS;
  } else if (next > limit) {
    w.width++;
  }
  put(&w, END);
  while (w.count >= 8) {
    w.count -= 8;
    *w.out++ = (uint8_t)(w.bits >> w.count);
  }
  if (w.count) *w.out++ = (uint8_t)(w.bits << (8 - w.count));
  clear_table(used);
  return (uint32_t)(w.out - out);
}

/* Horizontal differencing (TIFF predictor 2) of `rows` rows of 8-bit samples, in place: each sample less the one a pixel before. */
__attribute__((export_name("predict_u8"))) void predict_u8(uint8_t *samples, uint32_t row_samples, uint32_t channels, uint32_t rows) {
  for (uint32_t r = 0; r < rows; r++) {
    uint8_t *row = samples + (uint64_t)r * row_samples;
    for (uint32_t i = row_samples - 1; i >= channels; i--) row[i] = (uint8_t)(row[i] - row[i - channels]);
  }
}

/* The same for 16-bit samples (little-endian, as the file declares). */
__attribute__((export_name("predict_u16"))) void predict_u16(uint16_t *samples, uint32_t row_samples, uint32_t channels, uint32_t rows) {
  for (uint32_t r = 0; r < rows; r++) {
    uint16_t *row = samples + (uint64_t)r * row_samples;
    for (uint32_t i = row_samples - 1; i >= channels; i--) row[i] = (uint16_t)(row[i] - row[i - channels]);
  }
}
