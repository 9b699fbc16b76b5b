import { exifWithOrientation } from './exif.js';
import { iccColourSpace } from './metadata-carrier.js';
import { xmpWithUprightOrientation } from './xmp.js';
import type { ImageMeta } from './types.js';

/** The metadata of `meta` an output with `bands` bands can carry, and what it has to leave out. */
export function metadataToCarry(meta: ImageMeta, bands: 1 | 2 | 3 | 4): { icc?: Buffer; exif?: Buffer; xmp?: Buffer; density?: number; warnings: string[] } {
  const warnings: string[] = [];
  const gray = bands <= 2;
  let icc = meta.icc;
  if (icc && iccColourSpace(icc) !== (gray ? 'GRAY' : 'RGB ')) {
    warnings.push(`ICC profile for '${iccColourSpace(icc).trim()}' does not fit ${gray ? 'gray' : 'RGB'} pixels; not attached`);
    icc = undefined;
  }
  // Pixels are already upright, so the orientation tag must not rotate them again.
  const exif = meta.exif && exifWithOrientation(meta.exif, 1);
  if (meta.exif && !exif) warnings.push('EXIF block is malformed; not attached');
  const xmp = meta.xmp && xmpWithUprightOrientation(meta.xmp);
  const density = meta.density !== undefined && meta.density > 0 ? meta.density : undefined;
  return { icc, exif, xmp, density, warnings };
}
