/**
 * An EXIF block (as sharp hands it over: a little TIFF file of its own, "Exif\0\0" first or not) taken apart into the
 * tags a TIFF output carries: IFD0's descriptive tags, the Exif IFD and the GPS IFD, each value re-encoded
 * little-endian (the byte order our TIFF writer uses), whatever order the camera wrote. Where a JPEG or PNG keeps the
 * block whole, a TIFF holds these as directories of its own file, so they are rewritten, not copied.
 *
 * Left out on purpose: IFD0's layout tags (sizes, strips, compression, orientation, resolution: the output's own are
 * written), the thumbnail IFD, the MakerNote (vendors' private offsets into the old block would point nowhere), the
 * interoperability IFD, and the Exif tags that describe JPEG data only (components configuration, compressed bits per
 * pixel, pixel dimensions), which TIFF readers flag as not allowed there.
 */

/** One TIFF directory entry, its value bytes little-endian. */
export interface RawEntry {
  tag: number;
  type: number;
  count: number;
  bytes: Buffer;
}

export interface ExifDirectories {
  /** IFD0 tags that describe the picture (camera, date, author, copyright). */
  ifd0: RawEntry[];
  /** The Exif IFD (tag 34665 points to it), empty when the block has none. */
  exif: RawEntry[];
  /** The GPS IFD (tag 34853), empty when the block has none. */
  gps: RawEntry[];
}

export const EXIF_IFD_TAG = 34665;
export const GPS_IFD_TAG = 34853;
const LONG = 4;
/** MakerNote, interoperability IFD; ComponentsConfiguration, CompressedBitsPerPixel, PixelX/YDimension (JPEG only). */
const DROPPED_EXIF_TAGS = new Set([37500, 40965, 37121, 37122, 40962, 40963]);

/** ImageDescription, Make, Model, Software, DateTime, Artist, HostComputer, Copyright, and Windows' XP title to subject. */
const DESCRIPTIVE_IFD0_TAGS = new Set([270, 271, 272, 305, 306, 315, 316, 33432, 40091, 40092, 40093, 40094, 40095]);

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

/**
 * The directories of `block`, or undefined when the block is not a readable EXIF
 * structure (the caller warns and writes the image without it). Entries of unknown types are skipped.
 */
export function exifDirectories(block: Buffer): ExifDirectories | undefined {
  const base = block.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 6 : 0;
  const tiff = block.subarray(base);
  if (tiff.length < 8) return undefined;
  const order = tiff.subarray(0, 2).toString('latin1');
  if (order !== 'II' && order !== 'MM') return undefined;
  const little = order === 'II';
  const u16 = (at: number): number => (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number): number => (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  if (u16(2) !== 42) return undefined;

  const readIfd = (offset: number): RawEntry[] | undefined => {
    if (offset < 8 || offset + 2 > tiff.length) return undefined;
    const count = u16(offset);
    if (offset + 2 + count * 12 > tiff.length) return undefined;
    const entries: RawEntry[] = [];
    for (let i = 0; i < count; i++) {
      const at = offset + 2 + i * 12;
      const type = TYPES[u16(at + 2)];
      if (!type) continue;
      const n = u32(at + 4);
      const size = n * type.size;
      const valueAt = size <= 4 ? at + 8 : u32(at + 8);
      if (valueAt + size > tiff.length) return undefined;
      const bytes = Buffer.from(tiff.subarray(valueAt, valueAt + size));
      if (!little && type.unit > 1) {
        if (type.unit === 2) bytes.swap16();
        else if (type.unit === 4) bytes.swap32();
        else bytes.swap64();
      }
      entries.push({ tag: u16(at), type: u16(at + 2), count: n, bytes });
    }
    return entries;
  };
  const pointer = (entries: RawEntry[], tag: number): number | undefined => {
    const e = entries.find((x) => x.tag === tag && (x.type === LONG || x.type === 13) && x.count === 1);
    return e?.bytes.readUInt32LE(0);
  };

  const ifd0 = readIfd(u32(4));
  if (!ifd0) return undefined;
  const exifAt = pointer(ifd0, EXIF_IFD_TAG);
  const gpsAt = pointer(ifd0, GPS_IFD_TAG);
  const exif = exifAt === undefined ? [] : readIfd(exifAt);
  const gps = gpsAt === undefined ? [] : readIfd(gpsAt);
  if (!exif || !gps) return undefined;
  return {
    ifd0: ifd0.filter((e) => DESCRIPTIVE_IFD0_TAGS.has(e.tag)),
    exif: exif.filter((e) => !DROPPED_EXIF_TAGS.has(e.tag)),
    gps,
  };
}
