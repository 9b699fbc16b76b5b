/**
 * XMP packets (Adobe's XML metadata: ratings, keywords, captions, rights) carried from input to output as they are,
 * but for the orientation: the decoded pixels are already upright, and a viewer that reads tiff:Orientation from the
 * XMP would turn them again.
 */

/** `xmp` with every tiff:Orientation (attribute or element form) set to 1. */
export function xmpWithUprightOrientation(xmp: Buffer): Buffer {
  const text = xmp.toString('utf8');
  const upright = text
    .replace(/(tiff:Orientation\s*=\s*)(["'])\s*\d+\s*\2/g, '$1$21$2')
    .replace(/(<tiff:Orientation>)\s*\d+\s*(<\/tiff:Orientation>)/g, '$11$2');
  return upright === text ? xmp : Buffer.from(upright, 'utf8');
}
