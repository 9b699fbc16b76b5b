/**
 * Facts about FFmpeg pixel formats read from their names (FFmpeg's naming is systematic), and the raw format
 * frames cross the pipe in: rgb24 / rgb48le (and their grey and alpha variants) so that the engine gets the
 * same 8- or 16-bit rasters it gets from stills.
 */

export interface PixelFormatFacts {
  /** Bits per component (8, 9, 10, 12, 14, 16). */
  bitDepth: number;
  alpha: boolean;
  gray: boolean;
  /** 'yuv' (with its chroma subsampling in `chroma`), 'rgb' or 'gray'. */
  family: 'yuv' | 'rgb' | 'gray';
  /** 420, 422, 444, 440, 411, 410 for yuv; 444 otherwise. */
  chroma: number;
}

export function pixelFormatFacts(pixFmt: string): PixelFormatFacts {
  const name = pixFmt.toLowerCase();
  const gray = /^(gray|ya\d|y\d|monow|monob)/.test(name);
  const alpha = /^(yuva|rgba|bgra|argb|abgr|gbrap|ya|rgba64|bgra64|pal8)/.test(name) || /^(rgb|bgr)a/.test(name);
  let bitDepth = 8;
  const packed = /^(rgba?|bgra?)(48|64)/.exec(name);
  if (packed || /^ya16/.test(name)) bitDepth = 16;
  else {
    const m = /p(\d{1,2})(le|be)?$/.exec(name) ?? /^gray(\d{1,2})(le|be)?$/.exec(name) ?? /^(?:x2)?(?:rgb|bgr)(10)/.exec(name);
    if (m) bitDepth = Number(m[1]);
    if (/^p0(10|12|16)/.test(name)) bitDepth = Number(/^p0(\d+)/.exec(name)![1]);
    if (/^(p210|p410|y210)/.test(name)) bitDepth = 10;
  }
  const family: PixelFormatFacts['family'] = gray ? 'gray' : /^(yuv|yuvj|nv|p0|p2|p4|y2|uyvy|yuyv|yvyu|ayuv|vuy|xv)/.test(name) ? 'yuv' : 'rgb';
  let chroma = 444;
  const sub = /^yuva?j?(4\d\d)p/.exec(name);
  if (sub) chroma = Number(sub[1]);
  else if (/^(nv12|nv21|p010|p012|p016)/.test(name)) chroma = 420;
  else if (/^(nv16|nv20|p210|p216|uyvy|yuyv|yvyu|y210)/.test(name)) chroma = 422;
  return { bitDepth, alpha, gray, family, chroma };
}

/** How decoded frames come over the pipe. */
export interface RawFormat {
  pixFmt: string;
  channels: 1 | 2 | 3 | 4;
  bitDepth: 8 | 16;
}

/** Above 8 bits the pipe carries 16-bit samples, so 10/12-bit sources keep their precision. */
export function rawFormatFor(facts: PixelFormatFacts): RawFormat {
  const deep = facts.bitDepth > 8;
  if (facts.gray) {
    return facts.alpha
      ? (deep ? { pixFmt: 'rgba64le', channels: 4, bitDepth: 16 } : { pixFmt: 'ya8', channels: 2, bitDepth: 8 })
      : { pixFmt: deep ? 'gray16le' : 'gray', channels: 1, bitDepth: deep ? 16 : 8 };
  }
  return facts.alpha
    ? { pixFmt: deep ? 'rgba64le' : 'rgba', channels: 4, bitDepth: deep ? 16 : 8 }
    : { pixFmt: deep ? 'rgb48le' : 'rgb24', channels: 3, bitDepth: deep ? 16 : 8 };
}

export function frameBytes(width: number, height: number, raw: RawFormat): number {
  return width * height * raw.channels * (raw.bitDepth / 8);
}
