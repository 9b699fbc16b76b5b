/**
 * TIFF image file directories (IFDs), little-endian: how the TIFF writer lays out its own and how an EXIF block
 * (itself a small TIFF) is built from directories read elsewhere.
 */

export const BYTE = 1;
export const SHORT = 3;
export const LONG = 4;
export const RATIONAL = 5;
export const UNDEFINED = 7;

export interface Entry {
  tag: number;
  type: number;
  /** Numbers (SHORT, LONG, RATIONAL as pairs) or the value's bytes, little-endian. */
  values: number[] | Buffer;
  /** How many values the bytes hold, where they are not single bytes. */
  count?: number;
}

/** The IFD (entries sorted by tag) and its out-of-line values, laid out from file offset `at`; no next IFD. */
export function ifdBytes(entries: Entry[], at: number): Buffer {
  entries.sort((a, b) => a.tag - b.tag);
  const size = (e: Entry): number => (e.values instanceof Buffer ? e.values.length : e.values.length * (e.type === SHORT ? 2 : e.type === RATIONAL ? 8 : 4));
  const head = 2 + entries.length * 12 + 4;
  const extra = entries.reduce((sum, e) => sum + (size(e) > 4 ? size(e) + (size(e) % 2) : 0), 0);
  const out = Buffer.alloc(head + extra);
  out.writeUInt16LE(entries.length, 0);
  let data = head;
  entries.forEach((e, i) => {
    const p = 2 + i * 12;
    const bytes = size(e);
    out.writeUInt16LE(e.tag, p);
    out.writeUInt16LE(e.type, p + 2);
    out.writeUInt32LE(e.values instanceof Buffer ? e.count ?? e.values.length : e.type === RATIONAL ? e.values.length / 2 : e.values.length, p + 4);
    const target = bytes > 4 ? data : p + 8;
    if (bytes > 4) out.writeUInt32LE(at + data, p + 8);
    if (e.values instanceof Buffer) e.values.copy(out, target);
    else e.values.forEach((v, k) => (e.type === SHORT ? out.writeUInt16LE(v, target + 2 * k) : out.writeUInt32LE(v, target + 4 * k)));
    if (bytes > 4) data += bytes + (bytes % 2);
  });
  return out;
}

/**
 * A first IFD of `entries` at offset `at`, followed by the sub-IFDs it points to: each `[tag, entries]` with entries
 * becomes an IFD after it, and a LONG entry `tag` in the first one holds its offset.
 */
export function ifdWithSubIfds(entries: Entry[], subIfds: Array<[tag: number, entries: Entry[]]>, at: number): Buffer {
  const present = subIfds.filter(([, list]) => list.length > 0);
  const pointers = present.map(([tag]): Entry => ({ tag, type: LONG, values: [0] }));
  const first = [...entries, ...pointers];
  // The pointers' values do not change the first IFD's length: lay it out once to learn where the others start.
  let next = at + ifdBytes(first, at).length;
  const tails = present.map(([, list], i) => {
    pointers[i].values = [next];
    const bytes = ifdBytes(list, next);
    next += bytes.length;
    return bytes;
  });
  return Buffer.concat([ifdBytes(first, at), ...tails]);
}
