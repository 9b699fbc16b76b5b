/**
 * JPEG quality from a file's quantisation tables (DQT markers). Encoders built on libjpeg scale the standard tables
 * of the JPEG spec (Annex K) by the IJG quality rule, so the tables give the quality back exactly; other encoders
 * (cameras, Photoshop) use their own tables, whose mean ratio to the standard ones still maps to an equivalent quality.
 */

/** Annex K luminance table, natural (row-major) order. */
const STD_LUMA = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
/** Annex K chrominance table, natural order. */
const STD_CHROMA = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
  ...Array<number>(32).fill(99),
];
/** Zigzag position k → natural index. */
const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/** The table libjpeg writes for a quality 1–100 (jpeg_quality_scaling, baseline-limited to 255), natural order. */
export function ijgQuantTable(quality: number, chroma: boolean): number[] {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const scale = q < 50 ? Math.floor(5000 / q) : 200 - 2 * q;
  return (chroma ? STD_CHROMA : STD_LUMA).map((v) => Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))));
}

/** Quantisation tables by id (0 = luma, 1 = chroma in practice), natural order; empty when not a JPEG. */
export function readQuantTables(bytes: Uint8Array): Map<number, number[]> {
  const tables = new Map<number, number[]>();
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return tables;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) break;
    const marker = bytes[at + 1];
    if (marker === 0xff) { at++; continue; } // fill byte
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { at += 2; continue; }
    if (marker === 0xda || marker === 0xd9) break; // scan data: every table a decoder needs came before it
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    const end = at + 2 + length;
    if (length < 2 || end > bytes.length) break;
    if (marker === 0xdb) {
      let p = at + 4;
      while (p < end) {
        const precision = bytes[p] >> 4;
        const id = bytes[p] & 0x0f;
        p++;
        const size = precision ? 2 : 1;
        if (p + 64 * size > end) break;
        const table = new Array<number>(64);
        for (let k = 0; k < 64; k++) table[ZIGZAG[k]] = precision ? (bytes[p + 2 * k] << 8) | bytes[p + 2 * k + 1] : bytes[p + k];
        tables.set(id, table);
        p += 64 * size;
      }
    }
    at = end;
  }
  return tables;
}

export interface JpegQuality {
  /** IJG-equivalent quality 1–100. */
  quality: number;
  /** The luma table is exactly libjpeg's table for that quality. */
  exact: boolean;
}

/** Estimated quality of a JPEG file's bytes (from its luma table, table 0); undefined when it has no tables. */
export function estimateJpegQuality(bytes: Uint8Array): JpegQuality | undefined {
  const tables = readQuantTables(bytes);
  const luma = tables.get(0) ?? tables.values().next().value;
  if (!luma) return undefined;
  let best = 1;
  let bestErr = Infinity;
  for (let q = 1; q <= 100; q++) {
    const ref = ijgQuantTable(q, false);
    let err = 0;
    for (let i = 0; i < 64; i++) err += Math.abs(Math.log(luma[i] / ref[i]));
    if (err < bestErr) { bestErr = err; best = q; }
  }
  return { quality: best, exact: bestErr === 0 };
}
