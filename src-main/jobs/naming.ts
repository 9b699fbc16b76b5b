import { readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { JobSettings, OutputFormat, OutputPlan } from './types.js';
import { formatFromPath, outputFormatFor } from '../engine/image-io/formats.js';

/**
 * The concrete format and file extension of an output: the engine's rule (outputFormatFor), keeping the input's own
 * spelling of its extension when the format is kept (photo.jpeg → photo_x2.jpeg).
 */
export function outputFileTypeFor(input: string, format: JobSettings['format']): { format: OutputFormat; ext: string } {
  const chosen = outputFormatFor(input, format);
  const keptSpelling = format === 'keep' && formatFromPath(input) === chosen;
  return { format: chosen, ext: keptSpelling ? extname(input).slice(1).toLowerCase() : chosen };
}

export interface NameTokens { name: string; scale: number; model: string; ext: string; date: string }

/** Fills {name} {scale} {model} {ext} {date}; a pattern without {ext} gets `.ext` appended so the file stays openable. */
export function renderName(pattern: string, tokens: NameTokens): string {
  const rendered = pattern.replace(/\{(name|scale|model|ext|date)\}/g, (_, key: keyof NameTokens) => String(tokens[key]));
  const name = pattern.includes('{ext}') ? rendered : `${rendered}.${tokens.ext}`;
  // Tokens come from file and model names: keep separators out so the output cannot leave its folder.
  return name.replace(/[\\/]/g, '_');
}

export function localDate(time: number): string {
  const d = new Date(time);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function modelLabel(settings: JobSettings): string {
  return settings.model ? basename(settings.model) : 'default';
}

/** Where an item's output goes before overwrite rules: output folder (plus the item's sub-folder) or next to the source. */
export function intendedOutput(input: string, relDir: string, settings: JobSettings, addedAt: number): string {
  const { ext } = outputFileTypeFor(input, settings.format);
  const name = renderName(settings.naming, {
    name: basename(input, extname(input)),
    scale: settings.scale,
    model: modelLabel(settings),
    ext,
    date: localDate(addedAt),
  });
  const folder = settings.outputDir ? join(settings.outputDir, relDir) : dirname(input);
  return resolve(folder, name);
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
  const taken = async (path: string): Promise<boolean> => ctx.isReserved(path) || (await identity(path)) !== null;

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
  const now = await identity(plan.path);
  if (!now) return false;
  if (!plan.previous) return true;
  return now.ino !== plan.previous.ino || now.mtimeMs !== plan.previous.mtimeMs || now.size !== plan.previous.size;
}

/** The engine's temp files (src-main/common/atomic-write.ts tempPathFor): `.<output name>.subpixel-tmp-<hex>`. */
const ENGINE_TEMP = /^\..+\.subpixel-tmp-[0-9a-f]+$/;

export function isEngineTempName(name: string): boolean {
  return ENGINE_TEMP.test(name);
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
