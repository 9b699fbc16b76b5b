/** Where an unfinished video output keeps its committed segments: a hidden folder beside the output. */
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Beside the output, so every rename into place stays on one file system. */
export function partsDirFor(output: string): string {
  return join(dirname(output), `.${basename(output)}.subpixel-parts`);
}

/**
 * Whether `output` is an unfinished video output of ours (its parts folder exists): a sequence folder that exists
 * then is partial, and a planner must reuse the path (to resume) rather than treat it as someone else's file.
 */
export async function hasUnfinishedParts(output: string): Promise<boolean> {
  return stat(partsDirFor(output)).then((s) => s.isDirectory(), () => false);
}
