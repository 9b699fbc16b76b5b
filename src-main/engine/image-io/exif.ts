const ORIENTATION_TAG = 0x0112;
const TYPE_SHORT = 3;

/**
 * A copy of an EXIF block (with or without the "Exif\0\0" prefix) whose IFD0 Orientation says `orientation`.
 * Returns undefined when the block is malformed; a block without the tag is returned unchanged (it implies 1).
 */
export function exifWithOrientation(exif: Buffer, orientation: number): Buffer | undefined {
  const out = Buffer.from(exif);
  const base = out.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 6 : 0;
  if (out.length < base + 8) return undefined;
  const order = out.subarray(base, base + 2).toString('latin1');
  if (order !== 'II' && order !== 'MM') return undefined;
  const little = order === 'II';
  const u16 = (at: number) => (little ? out.readUInt16LE(at) : out.readUInt16BE(at));
  const u32 = (at: number) => (little ? out.readUInt32LE(at) : out.readUInt32BE(at));
  const ifd = base + u32(base + 4);
  if (ifd + 2 > out.length) return undefined;
  const entries = u16(ifd);
  for (let i = 0; i < entries; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > out.length) return undefined;
    if (u16(entry) !== ORIENTATION_TAG) continue;
    if (u16(entry + 2) !== TYPE_SHORT) return undefined;
    if (little) out.writeUInt16LE(orientation, entry + 8);
    else out.writeUInt16BE(orientation, entry + 8);
    return out;
  }
  return out;
}
