import { readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { outputName } from '../../src-common/naming.js';
import { isSequencePattern } from '../../src-common/video-files.js';
import { isTempName } from '../common/atomic-write.js';
import type { JobSettings, OutputPlan } from './types.js';
import { hasUnfinishedParts } from '../video/parts-dir.js';

export { outputFileTypeFor, renderName } from '../../src-common/naming.js';

/** Where an item's output goes before overwrite rules: output folder (plus the item's sub-folder) or next to the source. */
export function intendedOutput(input: string, relDir: string, settings: JobSettings, addedAt: number): string {
  const folder = settings.outputDir ? join(settings.outputDir, relDir) : dirname(input);
  // A frame sequence (its pattern) is named by its folder, as the CLI names a sequence folder it is given.
  const file = isSequencePattern(input) ? `${basename(dirname(input))}_%d${extname(input)}` : basename(input);
  return resolve(folder, outputName(file, settings, addedAt));
}

export type OutputDecision = { kind: 'write'; plan: OutputPlan } | { kind: 'skip'; path: string; reason: string };

export interface PlanContext {
  /** Input files of the queue: never written to, whatever the policy. */
  isInput: (path: string) => boolean;
  /** Paths other running items are about to write. */
  isReserved: (path: string) => boolean;
}

async function identity(path: string): Promise<{ ino: number; size: number; mtimeMs: number; dev: number } | null> {
  try {
    const s = await stat(path);
    return { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, dev: s.dev };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Applies the overwrite policy to the intended output. */
export async function planOutput(input: string, intended: string, policy: JobSettings['overwrite'], ctx: PlanContext): Promise<OutputDecision> {
  const inputId = await identity(input);
  const isProtected = async (path: string): Promise<boolean> => {
    if (resolve(path) === resolve(input) || ctx.isInput(path)) return true;
    const id = await identity(path);
    return id !== null && inputId !== null && id.ino === inputId.ino && id.dev === inputId.dev && id.ino !== 0;
  };
  // An unfinished video output of ours (segments beside it) is resumed in place, not treated as someone's file.
  const taken = async (path: string): Promise<boolean> => ctx.isReserved(path) || ((await identity(path)) !== null && !(await hasUnfinishedParts(path)));

  if (!(await taken(intended))) return { kind: 'write', plan: { path: intended, previous: null } };
  if (policy === 'skip') return { kind: 'skip', path: intended, reason: `output exists: ${intended}` };
  if (policy === 'overwrite' && !ctx.isReserved(intended) && !(await isProtected(intended))) {
    const prev = await identity(intended);
    return { kind: 'write', plan: { path: intended, previous: prev && { ino: prev.ino, size: prev.size, mtimeMs: prev.mtimeMs } } };
  }
  const ext = extname(intended);
  const stem = intended.slice(0, intended.length - ext.length);
  for (let n = 1; n < 100_000; n++) {
    const candidate = `${stem} (${n})${ext}`;
    if (!(await taken(candidate)) && !ctx.isInput(candidate)) return { kind: 'write', plan: { path: candidate, previous: null } };
  }
  throw new Error(`no free output name next to ${intended}`);
}

/**
 * After a crash while an item was running: did the run get as far as renaming its output into place?
 * The engine writes temp + rename, so the planned path holds either the earlier file (or nothing) or our whole output.
 */
export async function planCompleted(plan: OutputPlan): Promise<boolean> {
  // A video output with its segments still beside it was not finished (a sequence folder fills up as it goes).
  if (await hasUnfinishedParts(plan.path)) return false;
  const now = await identity(plan.path);
  if (!now) return false;
  if (!plan.previous) return true;
  return now.ino !== plan.previous.ino || now.mtimeMs !== plan.previous.mtimeMs || now.size !== plan.previous.size;
}

/** The engine's temp files (src-main/common/atomic-write.ts tempPathFor). */
export function isEngineTempName(name: string): boolean {
  return isTempName(name);
}

/** Deletes temp files a killed run left next to `output` (they are never outputs; the final rename never happened). */
export async function removeStaleTemps(output: string): Promise<string[]> {
  const prefix = `.${basename(output)}.subpixel-tmp-`;
  let names: string[];
  try {
    names = await readdir(dirname(output));
  } catch {
    return [];
  }
  const stale = names.filter((n) => n.startsWith(prefix) && isEngineTempName(n)).map((n) => join(dirname(output), n));
  await Promise.all(stale.map((p) => rm(p, { force: true })));
  return stale;
}

/**
 * The output a finished run of `input` left on disk, when its records were lost: the intended name or one of its
 * numbered variants ("name (1).png"), written after the item was added and after the input last changed, and not
 * claimed by another item. Null when there is none (the work was not done).
 */
export async function finishedOutputOnDisk(input: string, intended: string, addedAt: number, claimedByOther: (path: string) => boolean): Promise<string | null> {
  const source = await identity(input);
  if (!source) return null;
  const ext = extname(intended);
  const stem = intended.slice(0, intended.length - ext.length);
  for (let n = 0; n < 100_000; n++) {
    const candidate = n === 0 ? intended : `${stem} (${n})${ext}`;
    const found = await identity(candidate);
    if (!found) return null;
    if (claimedByOther(candidate) || candidate === resolve(input)) continue;
    if (found.mtimeMs >= addedAt && found.mtimeMs >= source.mtimeMs && found.size > 0) return candidate;
  }
  return null;
}
