/*
 * The output stage of the fused pixel graph for its commonest cases, 8-bit RGB through a Y model at x2, x3 and x4, in
 * WebAssembly SIMD. In: the network's s² phase maps and its input Y (the nearest skip), and Cb and Cr, all float planes
 * at LR size as ONNX Runtime leaves them (NCHW, 0..1 scale). Out: the interleaved 8-bit RGB raster, (sH) × (sW) × 3.
 * (A net on 2x2 blocks hands its phases over at half size: `blocks` in assemble below.)
 * One pass where the graph would upscale the chroma to 2·s² phase maps, reorder, concatenate and transpose them,
 * multiply and quantise, each a pass over tensors the size of the output.
 *
 * Chroma is upscaled as the graph's bicubic phases do it (Keys, a = −0.5, half-pixel centres, edges repeated),
 * separably: per output row phase a vertical 5-tap pass into a scratch row with repeated edges, then 5 horizontal taps
 * per output column phase. Each sample is m[c]·(Y', Cb, Cr) + bias[c] with Y' = phase + skip, rounded half to even and
 * clipped to 0..255, as the graph's QuantizeLinear does.
 *
 * Build: node scripts/build-kernels.mjs (clang's wasm32 target and wasm-ld), which embeds the module in
 * assemble-wasm.ts.
 */
#include <stddef.h>
#include <stdint.h>
#include <wasm_simd128.h>

/* Scratch rows carry this many repeated edge samples on each side (the horizontal taps reach 2 beyond). */
#define MARGIN 4

static inline int clamp_row(int y, int height) { return y < 0 ? 0 : y >= height ? height - 1 : y; }

static inline uint8_t clip_u8(float v) {
  float r = __builtin_rintf(v);
  return r <= 0.0f ? 0 : r >= 255.0f ? 255 : (uint8_t)r;
}

/*
 * Rounds half to even by adding 1.5·2^23: the sum's low mantissa bits are then the rounded integer (|v| < 2^22 here),
 * which integer subtraction of the constant's bits leaves as an int32. Cheaper than nearest + trunc_sat.
 */
#define ROUNDER 12582912.0f
#define ROUNDER_BITS 0x4B400000

static inline v128_t channel(v128_t y, v128_t cb, v128_t cr, const v128_t *m, v128_t bias) {
  v128_t v = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(y, m[0]), wasm_f32x4_mul(cb, m[1])),
                            wasm_f32x4_add(wasm_f32x4_mul(cr, m[2]), bias));
  return wasm_i32x4_sub(wasm_f32x4_add(v, wasm_f32x4_splat(ROUNDER)), wasm_i32x4_splat(ROUNDER_BITS));
}

/* One chroma plane's vertical pass for output row phase taps `w` at LR row y, into row[0..width), edges repeated. */
static void vertical(const float *plane, int height, int width, int y, const float *w, float *row) {
  const float *r[5];
  for (int k = 0; k < 5; k++) r[k] = plane + (size_t)clamp_row(y + k - 2, height) * width;
  v128_t w0 = wasm_f32x4_splat(w[0]), w1 = wasm_f32x4_splat(w[1]), w2 = wasm_f32x4_splat(w[2]);
  v128_t w3 = wasm_f32x4_splat(w[3]), w4 = wasm_f32x4_splat(w[4]);
  int x = 0;
  for (; x + 4 <= width; x += 4) {
    v128_t v = wasm_f32x4_mul(wasm_v128_load(r[0] + x), w0);
    v = wasm_f32x4_add(v, wasm_f32x4_mul(wasm_v128_load(r[1] + x), w1));
    v = wasm_f32x4_add(v, wasm_f32x4_mul(wasm_v128_load(r[2] + x), w2));
    v = wasm_f32x4_add(v, wasm_f32x4_mul(wasm_v128_load(r[3] + x), w3));
    v = wasm_f32x4_add(v, wasm_f32x4_mul(wasm_v128_load(r[4] + x), w4));
    wasm_v128_store(row + x, v);
  }
  for (; x < width; x++) row[x] = r[0][x] * w[0] + r[1][x] * w[1] + r[2][x] * w[2] + r[3][x] * w[3] + r[4][x] * w[4];
  for (int k = 1; k <= MARGIN; k++) {
    row[-k] = row[0];
    row[width - 1 + k] = row[width - 1];
  }
}

/* The 5 horizontal taps `w` over a scratch row's columns x−2..x+2 for x..x+3, loaded once as `at` (shared by phases). */
static inline v128_t horizontal(const v128_t *at, const v128_t *w) {
  v128_t v = wasm_f32x4_mul(at[0], w[0]);
  v = wasm_f32x4_add(v, wasm_f32x4_mul(at[1], w[1]));
  v = wasm_f32x4_add(v, wasm_f32x4_mul(at[2], w[2]));
  v = wasm_f32x4_add(v, wasm_f32x4_mul(at[3], w[3]));
  return wasm_f32x4_add(v, wasm_f32x4_mul(at[4], w[4]));
}

/*
 * Four LR columns' output pixels on one output row, s per column, as interleaved RGB: 3·4·s bytes at o. r, g and b hold
 * each channel's samples as int32 lanes (lane x, one vector per column phase px; those from s on are zero). Saturating
 * narrowing clips to 0..255 and leaves byte px·4 + x for output pixel x·s + px; shuffles put the bytes in pixel order
 * and interleave the channels (output byte j is channel j % 3 of pixel j / 3), R and G first, then B.
 */
static inline __attribute__((always_inline)) void store_pixels(int s, const v128_t *r, const v128_t *g, const v128_t *b, uint8_t *o) {
  v128_t r8 = wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(r[0], r[1]), wasm_i16x8_narrow_i32x4(r[2], r[3]));
  v128_t g8 = wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(g[0], g[1]), wasm_i16x8_narrow_i32x4(g[2], g[3]));
  v128_t b8 = wasm_u8x16_narrow_i16x8(wasm_i16x8_narrow_i32x4(b[0], b[1]), wasm_i16x8_narrow_i32x4(b[2], b[3]));
  if (s == 4) {
    /* Transpose each channel's 4x4 bytes to pixel order first, then interleave. */
    v128_t rt = wasm_i8x16_shuffle(r8, r8, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    v128_t gt = wasm_i8x16_shuffle(g8, g8, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    v128_t bt = wasm_i8x16_shuffle(b8, b8, 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    v128_t rg_lo = wasm_i8x16_shuffle(rt, gt, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    v128_t rg_hi = wasm_i8x16_shuffle(rt, gt, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    v128_t c0 = wasm_i8x16_shuffle(rg_lo, bt, 0, 1, 16, 2, 3, 17, 4, 5, 18, 6, 7, 19, 8, 9, 20, 10);
    v128_t t1 = wasm_i8x16_shuffle(rg_lo, rg_hi, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 0, 0, 0, 0, 0);
    v128_t c1 = wasm_i8x16_shuffle(t1, bt, 0, 21, 1, 2, 22, 3, 4, 23, 5, 6, 24, 7, 8, 25, 9, 10);
    v128_t c2 = wasm_i8x16_shuffle(rg_hi, bt, 26, 6, 7, 27, 8, 9, 28, 10, 11, 29, 12, 13, 30, 14, 15, 31);
    wasm_v128_store(o, c0);
    wasm_v128_store(o + 16, c1);
    wasm_v128_store(o + 32, c2);
  } else if (s == 3) {
    v128_t rg0 = wasm_i8x16_shuffle(r8, g8, 0, 16, 0, 4, 20, 0, 8, 24, 0, 1, 17, 0, 5, 21, 0, 9);
    v128_t c0 = wasm_i8x16_shuffle(rg0, b8, 0, 1, 16, 3, 4, 20, 6, 7, 24, 9, 10, 17, 12, 13, 21, 15);
    v128_t rg1 = wasm_i8x16_shuffle(r8, g8, 25, 0, 2, 18, 0, 6, 22, 0, 10, 26, 0, 3, 19, 0, 7, 23);
    v128_t c1 = wasm_i8x16_shuffle(rg1, b8, 0, 25, 2, 3, 18, 5, 6, 22, 8, 9, 26, 11, 12, 19, 14, 15);
    v128_t rg2 = wasm_i8x16_shuffle(r8, g8, 0, 11, 27, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    v128_t c2 = wasm_i8x16_shuffle(rg2, b8, 23, 1, 2, 27, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    wasm_v128_store(o, c0);
    wasm_v128_store(o + 16, c1);
    wasm_v128_store32_lane(o + 32, c2, 0);
  } else {
    v128_t rg0 = wasm_i8x16_shuffle(r8, g8, 0, 16, 0, 4, 20, 0, 1, 17, 0, 5, 21, 0, 2, 18, 0, 6);
    v128_t c0 = wasm_i8x16_shuffle(rg0, b8, 0, 1, 16, 3, 4, 20, 6, 7, 17, 9, 10, 21, 12, 13, 18, 15);
    v128_t rg1 = wasm_i8x16_shuffle(r8, g8, 22, 0, 3, 19, 0, 7, 23, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    v128_t c1 = wasm_i8x16_shuffle(rg1, b8, 0, 22, 2, 3, 19, 5, 6, 23, 0, 0, 0, 0, 0, 0, 0, 0);
    wasm_v128_store(o, c0);
    wasm_v128_store64_lane(o + 16, c1, 0);
  }
}

/*
 * The whole stage at x`s` (a constant in each export below, so that every loop over phases unrolls). taps: s phases ×
 * 5 weights (LR offsets −2..2); matrix: 3 × 3 (rows R, G, B; columns Y', Cb, Cr); bias: 3; scratch: 2 × (width +
 * 2·MARGIN) floats.
 *
 * `blocks` (a net on 2x2 blocks of LR pixels, even height and width): the phases come as 4·s² maps at half size, map
 * (by·s + py)·2s + bx·s + px holding phase (py, px) of LR pixel (2·y2 + by, 2·x2 + bx), the order one depth-to-space
 * by 2s would read; four LR columns are then two columns of two maps, interleaved.
 */
static inline __attribute__((always_inline)) void assemble(int s, int blocks, const float *phases, const float *skip, const float *chroma,
                                                           int height, int width, const float *taps, const float *matrix,
                                                           const float *bias, float *scratch, uint8_t *out) {
  const size_t plane = (size_t)height * width;
  const int half_width = width / 2;
  const size_t block_plane = (size_t)(height / 2) * half_width;
  const size_t row_out = (size_t)width * s * 3;
  const int stride = width + 2 * MARGIN;
  float *vcb = scratch + MARGIN;
  float *vcr = scratch + stride + MARGIN;
  v128_t m[9], b[3], wx[4][5];
  for (int i = 0; i < 9; i++) m[i] = wasm_f32x4_splat(matrix[i]);
  for (int i = 0; i < 3; i++) b[i] = wasm_f32x4_splat(bias[i]);
  for (int p = 0; p < s; p++)
    for (int k = 0; k < 5; k++) wx[p][k] = wasm_f32x4_splat(taps[p * 5 + k]);
  for (int y = 0; y < height; y++) {
    for (int py = 0; py < s; py++) {
      vertical(chroma, height, width, y, taps + py * 5, vcb);
      vertical(chroma + plane, height, width, y, taps + py * 5, vcr);
      uint8_t *o = out + (size_t)(y * s + py) * row_out;
      const size_t at = (size_t)y * width;
      /* maps of column phase 0: bx = 0 at Y, bx = 1 at Y + s maps (blocks); px adds px maps either way */
      const size_t map = blocks ? block_plane : plane;
      const float *Y = blocks ? phases + (size_t)(((y & 1) * s + py) * 2 * s) * block_plane + (size_t)(y >> 1) * half_width
                              : phases + (size_t)(py * s) * plane + at;
      const float *S = skip + at;
      int x = 0;
      for (; x + 4 <= width; x += 4) {
        v128_t sk = wasm_v128_load(S + x);
        v128_t lcb[5], lcr[5];
        for (int k = 0; k < 5; k++) {
          lcb[k] = wasm_v128_load(vcb + x + k - 2);
          lcr[k] = wasm_v128_load(vcr + x + k - 2);
        }
        v128_t r[4], g[4], bl[4];
        for (int px = 0; px < 4; px++) {
          if (px >= s) {
            r[px] = g[px] = bl[px] = wasm_i32x4_splat(0);
            continue;
          }
          v128_t ph;
          if (blocks) {
            const float *even = Y + px * map + (x >> 1);
            ph = wasm_i32x4_shuffle(wasm_v128_load64_zero(even), wasm_v128_load64_zero(even + s * map), 0, 4, 1, 5);
          } else {
            ph = wasm_v128_load(Y + px * map + x);
          }
          v128_t yv = wasm_f32x4_add(ph, sk);
          v128_t cb = horizontal(lcb, wx[px]);
          v128_t cr = horizontal(lcr, wx[px]);
          r[px] = channel(yv, cb, cr, m, b[0]);
          g[px] = channel(yv, cb, cr, m + 3, b[1]);
          bl[px] = channel(yv, cb, cr, m + 6, b[2]);
        }
        store_pixels(s, r, g, bl, o);
        o += 12 * s;
      }
      for (; x < width; x++) {
        for (int px = 0; px < s; px++, o += 3) {
          const float *w = taps + px * 5;
          float yv = (blocks ? Y[((x & 1) * s + px) * map + (x >> 1)] : Y[px * map + x]) + S[x];
          float cb = 0, cr = 0;
          for (int k = 0; k < 5; k++) {
            cb += vcb[x + k - 2] * w[k];
            cr += vcr[x + k - 2] * w[k];
          }
          for (int c = 0; c < 3; c++) o[c] = clip_u8(matrix[c * 3] * yv + matrix[c * 3 + 1] * cb + matrix[c * 3 + 2] * cr + bias[c]);
        }
      }
    }
  }
}

#define EXPORT_SCALE(s)                                                                                               \
  __attribute__((export_name("assemble_rgb8_x" #s))) void assemble_rgb8_x##s(                                         \
      const float *phases, const float *skip, const float *chroma, int height, int width, const float *taps,        \
      const float *matrix, const float *bias, float *scratch, uint8_t *out) {                                       \
    assemble(s, 0, phases, skip, chroma, height, width, taps, matrix, bias, scratch, out);                         \
  }                                                                                                                 \
  __attribute__((export_name("assemble_blocks_rgb8_x" #s))) void assemble_blocks_rgb8_x##s(                         \
      const float *phases, const float *skip, const float *chroma, int height, int width, const float *taps,        \
      const float *matrix, const float *bias, float *scratch, uint8_t *out) {                                       \
    assemble(s, 1, phases, skip, chroma, height, width, taps, matrix, bias, scratch, out);                         \
  }

EXPORT_SCALE(2)
EXPORT_SCALE(3)
EXPORT_SCALE(4)
