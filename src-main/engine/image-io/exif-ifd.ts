/**
 * EXIF as TIFF directories. An EXIF block (as sharp hands it over for JPEG, PNG, WebP and AVIF: a little TIFF file of
 * its own, "Exif\0\0" first or not) and a TIFF file both keep EXIF as IFD0 tags plus an Exif IFD and a GPS IFD. Reading
 * either gives the same directories, each value re-encoded little-endian whatever order the camera or scanner wrote;
 * the TIFF writer lays them out as its own file's directories, and `exifBlock` turns a TIFF's into the block the
 * other formats carry (libvips reports no EXIF for TIFF input).
 *
 * Left out on purpose: IFD0's layout tags (sizes, strips, compression, orientation, resolution: an output writes its
 * own), the thumbnail IFD, the MakerNote (vendors' private offsets into the old file would point nowhere), the
 * interoperability IFD, and the Exif tags that describe JPEG data only (components configuration, compressed bits per
 * pixel, pixel dimensions), which TIFF readers flag as not allowed there.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ifdWithSubIfds, LONG, type Entry } from './tiff-ifd.js';

export interface ExifDirectories {
  /** IFD0 tags that describe the picture (camera, date, author, copyright). */
  ifd0: Entry[];
  /** The Exif IFD (tag 34665 points to it), empty when there is none. */
  exif: Entry[];
  /** The GPS IFD (tag 34853), empty when there is none. */
  gps: Entry[];
}

export const EXIF_IFD_TAG = 34665;
export const GPS_IFD_TAG = 34853;
/** MakerNote, interoperability IFD; ComponentsConfiguration, CompressedBitsPerPixel, PixelX/YDimension (JPEG only). */
const DROPPED_EXIF_TAGS = new Set([37500, 40965, 37121, 37122, 40962, 40963]);
/** ImageDescription, Make, Model, Software, DateTime, Artist, HostComputer, Copyright, and Windows' XP title to subject. */
const DESCRIPTIVE_IFD0_TAGS = new Set([270, 271, 272, 305, 306, 315, 316, 33432, 40091, 40092, 40093, 40094, 40095]);
/** Directories are small; a count beyond this is a damaged file, not a picture's metadata. */
const MAX_ENTRIES = 1000;
/** A value larger than this (a damaged count, or a tag no picture description needs) is skipped, not read. */
const MAX_VALUE_BYTES = 1 << 20;

/** Bytes per value of each TIFF field type, and the width of the units that swap with byte order. */
const TYPES: Record<number, { size: number; unit: number }> = {
  1: { size: 1, unit: 1 }, // BYTE
  2: { size: 1, unit: 1 }, // ASCII
  3: { size: 2, unit: 2 }, // SHORT
  4: { size: 4, unit: 4 }, // LONG
  5: { size: 8, unit: 4 }, // RATIONAL: two LONGs
  6: { size: 1, unit: 1 }, // SBYTE
  7: { size: 1, unit: 1 }, // UNDEFINED
  8: { size: 2, unit: 2 }, // SSHORT
  9: { size: 4, unit: 4 }, // SLONG
  10: { size: 8, unit: 4 }, // SRATIONAL
  11: { size: 4, unit: 4 }, // FLOAT
  12: { size: 8, unit: 8 }, // DOUBLE
  13: { size: 4, unit: 4 }, // IFD (an offset, as LONG)
};

/** `length` bytes at `offset` of a TIFF structure, or undefined past its end. */
type ReadAt = (offset: number, length: number) => Buffer | undefined;

/** The directories of a TIFF structure read through `read`, or undefined when it is not one (or is damaged). */
function parseDirectories(read: ReadAt): ExifDirectories | undefined {
  const header = read(0, 8);
  if (!header) return undefined;
  const order = header.subarray(0, 2).toString('latin1');
  if (order !== 'II' && order !== 'MM') return undefined;
  const little = order === 'II';
  const u16 = (b: Buffer, at: number): number => (little ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (b: Buffer, at: number): number => (little ? b.readUInt32LE(at) : b.readUInt32BE(at));
  if (u16(header, 2) !== 42) return undefined; // 43 is BigTIFF, whose EXIF this does not read

  // Only the values of the tags kept are read: IFD0 of a large TIFF also lists every strip.
  const readIfd = (offset: number, keep: (tag: number) => boolean): Entry[] | undefined => {
    const countBytes = offset >= 8 ? read(offset, 2) : undefined;
    if (!countBytes) return undefined;
    const count = u16(countBytes, 0);
    const table = count <= MAX_ENTRIES ? read(offset + 2, count * 12) : undefined;
    if (!table) return undefined;
    const entries: Entry[] = [];
    for (let i = 0; i < count; i++) {
      const at = i * 12;
      const type = TYPES[u16(table, at + 2)];
      if (!type || !keep(u16(table, at))) continue;
      const n = u32(table, at + 4);
      const size = n * type.size;
      if (size > MAX_VALUE_BYTES) continue;
      const value = size <= 4 ? Buffer.from(table.subarray(at + 8, at + 8 + size)) : read(u32(table, at + 8), size);
      if (!value) return undefined;
      if (!little && type.unit > 1) {
        if (type.unit === 2) value.swap16();
        else if (type.unit === 4) value.swap32();
        else value.swap64();
      }
      const typeCode = u16(table, at + 2);
      // An IFD-typed offset is kept as the LONG it is, which every reader knows.
      entries.push({ tag: u16(table, at), type: typeCode === 13 ? LONG : typeCode, values: value, count: n });
    }
    return entries;
  };
  const pointer = (entries: Entry[], tag: number): number | undefined => {
    const e = entries.find((x) => x.tag === tag && x.type === LONG && x.count === 1);
    return e && (e.values as Buffer).readUInt32LE(0);
  };

  const ifd0 = readIfd(u32(header, 4), (tag) => DESCRIPTIVE_IFD0_TAGS.has(tag) || tag === EXIF_IFD_TAG || tag === GPS_IFD_TAG);
  if (!ifd0) return undefined;
  const exifAt = pointer(ifd0, EXIF_IFD_TAG);
  const gpsAt = pointer(ifd0, GPS_IFD_TAG);
  const exif = exifAt === undefined ? [] : readIfd(exifAt, (tag) => !DROPPED_EXIF_TAGS.has(tag));
  const gps = gpsAt === undefined ? [] : readIfd(gpsAt, () => true);
  if (!exif || !gps) return undefined;
  return { ifd0: ifd0.filter((e) => DESCRIPTIVE_IFD0_TAGS.has(e.tag)), exif, gps };
}

/** The directories of an EXIF block, or undefined when the block is not a readable EXIF structure. */
export function exifDirectories(block: Buffer): ExifDirectories | undefined {
  const tiff = block.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? block.subarray(6) : block;
  return parseDirectories((offset, length) => (offset + length <= tiff.length ? Buffer.from(tiff.subarray(offset, offset + length)) : undefined));
}

/**
 * The EXIF of the TIFF file at `path` (read a directory at a time, however large the file), or undefined when it
 * has none or its directories are damaged: its pixels can still be read, so a damaged EXIF is only left behind.
 */
export function exifDirectoriesOfTiff(path: string): ExifDirectories | undefined {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const directories = parseDirectories((offset, length) => {
      if (offset + length > size) return undefined;
      const out = Buffer.alloc(length);
      return readSync(fd, out, 0, length, offset) === length ? out : undefined;
    });
    return directories && directories.ifd0.length + directories.exif.length + directories.gps.length > 0 ? directories : undefined;
  } finally {
    closeSync(fd);
  }
}

/** An EXIF block ("Exif\0\0" and a little-endian TIFF structure) holding `directories`, as sharp attaches EXIF. */
export function exifBlock(directories: ExifDirectories): Buffer {
  const header = Buffer.from([0x49, 0x49, 42, 0, 8, 0, 0, 0]);
  return Buffer.concat([
    Buffer.from('Exif\0\0', 'latin1'),
    header,
    ifdWithSubIfds([...directories.ifd0], [[EXIF_IFD_TAG, [...directories.exif]], [GPS_IFD_TAG, [...directories.gps]]], 8),
  ]);
}
