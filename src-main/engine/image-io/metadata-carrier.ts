import * as zlib from 'node:zlib';
import { deflateSync } from 'node:zlib';

// sharp can only attach ICC/EXIF that an *input* image holds, and a raw raster holds none. We hand it a 1x1 PNG that
// carries them and merge it into the raster with a bitwise OR: libvips pads the carrier with zeros, so every pixel
// is unchanged, while the result inherits the carrier's metadata fields the raster lacks.

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function tableCrc32(bytes: Uint8Array, value = 0): number {
  let crc = (value ^ 0xffffffff) >>> 0;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** zlib's native CRC-32 (Node 20.15+; streamed PNGs checksum megabytes of IDAT), else the table above. */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
const crc32 = (bytes: Uint8Array, value = 0): number => (nativeCrc32 ? nativeCrc32(bytes, value) : tableCrc32(bytes, value)) >>> 0;

/** One PNG chunk: length, type, data, CRC over type and data. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(data.length + 12);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), out.length - 4);
  return out;
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** PNG colour type for 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
export const PNG_COLOUR_TYPE = { 1: 0, 2: 4, 3: 2, 4: 6 } as const;

export function pngIhdr(width: number, height: number, bitDepth: number, colourType: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth;
  ihdr[9] = colourType;
  return pngChunk('IHDR', ihdr);
}

/** The colour space an ICC profile declares ('RGB ', 'GRAY', 'CMYK' …), from its header. */
export function iccColourSpace(icc: Buffer): string {
  return icc.length >= 20 ? icc.subarray(16, 20).toString('latin1') : '';
}

/** PNG eXIf holds the TIFF structure without the "Exif\0\0" prefix that JPEG APP1 (and sharp's metadata) carry. */
export function exifForPng(exif: Buffer): Buffer {
  return exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? exif.subarray(6) : exif;
}

/** A 1x1 black PNG with `channels` bands carrying the given ICC profile and EXIF block. */
export function metadataCarrierPng(channels: 1 | 2 | 3 | 4, icc: Buffer | undefined, exif: Buffer | undefined): Buffer {
  const chunks = [PNG_SIGNATURE, pngIhdr(1, 1, 8, PNG_COLOUR_TYPE[channels])];
  if (icc) chunks.push(pngChunk('iCCP', Buffer.concat([Buffer.from('icc\0\0', 'latin1'), deflateSync(icc)])));
  if (exif) chunks.push(pngChunk('eXIf', exifForPng(exif)));
  chunks.push(pngChunk('IDAT', deflateSync(Buffer.alloc(1 + channels))), pngChunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(chunks);
}
