/**
 * A minimal Matroska writer for uncompressed frames with their own timestamps, which is how upscaled frames reach
 * the encoding ffmpeg: a bare rawvideo pipe carries no timestamps, and a variable-frame-rate source must come out
 * with exactly its frame times. One cluster per frame with a nanosecond timestamp scale, so any source time base
 * up to 1/10^8 survives the round trip exactly.
 */
import type { RawFormat } from './pixel-format.js';

/** Matroska V_UNCOMPRESSED ColourSpace: FFmpeg's raw pixel-format tags. */
const RAW_TAGS: Record<string, number[]> = {
  rgb24: [0x52, 0x47, 0x42, 24],
  rgb48le: [0x52, 0x47, 0x42, 48],
  rgba: [0x52, 0x47, 0x42, 0x41],
  rgba64le: [0x52, 0x42, 0x41, 64],
  gray: [0x59, 0x38, 0x30, 0x30],
  gray16le: [0x59, 0x31, 0x00, 16],
  ya8: [0x59, 0x32, 0x00, 8],
};

function sizeVint(size: number): Buffer {
  // 8-byte length field: 0x01 then 7 bytes big-endian.
  const b = Buffer.alloc(8);
  b[0] = 0x01;
  let v = size;
  for (let i = 7; i >= 1; i--) { b[i] = v % 256; v = Math.floor(v / 256); }
  return b;
}

function idBytes(id: number): Buffer {
  const bytes: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from(bytes);
}

function element(id: number, body: Buffer): Buffer {
  return Buffer.concat([idBytes(id), sizeVint(body.length), body]);
}

function uint(id: number, value: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(value));
  return element(id, b);
}

function text(id: number, value: string): Buffer {
  return element(id, Buffer.from(value, 'utf8'));
}

/** EBML header, then a Segment of unknown size holding Info and one video track. */
export function matroskaHeader(width: number, height: number, raw: RawFormat): Buffer {
  const tag = RAW_TAGS[raw.pixFmt];
  if (!tag) throw new Error(`no raw Matroska tag for ${raw.pixFmt}`);
  const ebml = element(0x1a45dfa3, Buffer.concat([
    uint(0x4286, 1), uint(0x42f7, 1), uint(0x42f2, 4), uint(0x42f3, 8),
    text(0x4282, 'matroska'), uint(0x4287, 4), uint(0x4285, 2),
  ]));
  const info = element(0x1549a966, Buffer.concat([uint(0x2ad7b1, 1), text(0x4d80, 'subpixel'), text(0x5741, 'subpixel')]));
  const video = element(0xe0, Buffer.concat([uint(0xb0, width), uint(0xba, height), element(0x2eb524, Buffer.from(tag))]));
  const track = element(0xae, Buffer.concat([
    uint(0xd7, 1), uint(0x73c5, 1), uint(0x83, 1), uint(0x9c, 0), text(0x86, 'V_UNCOMPRESSED'), video,
  ]));
  const tracks = element(0x1654ae6b, track);
  const segmentStart = Buffer.concat([idBytes(0x18538067), Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]);
  return Buffer.concat([ebml, segmentStart, info, tracks]);
}

/**
 * The bytes before a frame's pixels: a Cluster with the frame's timestamp in nanoseconds (never negative) and
 * one key-frame SimpleBlock; the frame's `frameLength` bytes follow.
 */
export function matroskaFramePrefix(timestampNs: bigint, frameLength: number): Buffer {
  const blockHead = Buffer.from([0x81, 0x00, 0x00, 0x80]);
  const timestamp = uint(0xe7, timestampNs < 0n ? 0n : timestampNs);
  const blockSize = blockHead.length + frameLength;
  const simpleBlockHead = Buffer.concat([Buffer.from([0xa3]), sizeVint(blockSize), blockHead]);
  const clusterSize = timestamp.length + simpleBlockHead.length + frameLength;
  return Buffer.concat([idBytes(0x1f43b675), sizeVint(clusterSize), timestamp, simpleBlockHead]);
}
