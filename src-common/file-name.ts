/**
 * File-name arithmetic that runs anywhere (Node, Electron renderer, browser): no node:path, both separators.
 * Callers on the Node side that already hold a platform base name get the same answers as node:path for it.
 */

/** The last segment of a path (either separator), trailing separators ignored. */
export function baseName(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, '');
  const parts = trimmed.split(/[\\/]/);
  return parts[parts.length - 1] || trimmed || path;
}

/** The extension of a file name with its dot ('.png'), as node:path's extname: '' for '.hidden' and for no dot. */
export function extensionOf(path: string): string {
  const name = baseName(path);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot) : '';
}

/** The file name without its extension ('holiday.jpg' → 'holiday'). */
export function stemOf(path: string): string {
  const name = baseName(path);
  const ext = extensionOf(name);
  return ext ? name.slice(0, name.length - ext.length) : name;
}
