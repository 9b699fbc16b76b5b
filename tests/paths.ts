/**
 * Where tests find their data. Sample images come with the repository (resources/samples/). Datasets (Set5, Set14,
 * the training sets, OpenCV peer weights) live in `../shared` beside the checkout and are not in the repository: a
 * test that needs one passes `{ skip: needsShared('datasets/eval/Set5') }` and is skipped with a one-line reason where
 * that folder is missing.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Sample photos (with their licences) shipped in the repository. */
export const SAMPLES = join(REPO, 'resources', 'samples');
/** `../shared` beside the checkout. */
export const SHARED = resolve(REPO, '..', 'shared');

/** A path under ../shared. */
export function sharedPath(...parts: string[]): string {
  return join(SHARED, ...parts);
}

/** false when every given ../shared path exists, else the reason to skip (node:test prints it as `# SKIP <reason>`). */
export function needsShared(...parts: string[]): false | string {
  const missing = parts.find((p) => !existsSync(sharedPath(p)));
  return missing === undefined ? false : `needs ../shared/${missing} beside the checkout (not found at ${sharedPath(missing)})`;
}
