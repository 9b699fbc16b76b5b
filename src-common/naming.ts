/**
 * Output naming: the pattern tokens, their rules and their rendering. The queue (jobs/naming.ts), the CLI and the
 * renderer's example all render names here, so one setting gives one name everywhere. Zod-free (the renderer imports
 * it as a value); the schema built on these rules is in job-settings.ts.
 */
import { baseName, extensionOf, stemOf } from './file-name.js';
import { formatFromPath, outputFormatFor, type OutputFormat } from './formats.js';
import { DEFAULT_VIDEO_CODEC, containerFor, isSequenceCodec, isSequencePattern, isVideoInput, type VideoCodec } from './video-files.js';

export const NAMING_TOKENS = ['name', 'scale', 'model', 'ext', 'date'] as const;
export type NamingToken = (typeof NAMING_TOKENS)[number];
export type NameTokens = { [K in NamingToken]: K extends 'scale' ? number : string };

export const DEFAULT_NAMING = '{name}_x{scale}.{ext}';

/** The `{…}` groups of a pattern that are not tokens, as written ('{size}'). */
export function unknownTokens(pattern: string): string[] {
  return [...pattern.matchAll(/\{([^}]*)\}/g)].filter((m) => !(NAMING_TOKENS as readonly string[]).includes(m[1])).map((m) => m[0]);
}

/** Problems a naming pattern has, in words for a form (stricter than the schema: warns when {name} is missing); null when fine. */
export function namingProblem(pattern: string): string | null {
  if (!pattern.trim()) return 'The pattern is empty.';
  if (/[\\/]/.test(pattern)) return 'A file name cannot contain / or \\.';
  if (pattern.trim().startsWith('.')) return 'A name starting with a dot is hidden (and `..` is the parent folder).';
  if (!pattern.includes('{name}')) return 'Without {name} every output gets the same name.';
  const unknown = unknownTokens(pattern)[0];
  if (unknown) return `${unknown} is not a token; use ${NAMING_TOKENS.map((t) => `{${t}}`).join(' ')}.`;
  return null;
}

/** Fills {name} {scale} {model} {ext} {date}; a pattern without {ext} gets `.ext` appended so the file stays openable. */
export function renderName(pattern: string, tokens: NameTokens): string {
  const rendered = pattern.replace(/\{(name|scale|model|ext|date)\}/g, (_, key: NamingToken) => String(tokens[key]));
  const name = pattern.includes('{ext}') ? rendered : `${rendered}.${tokens.ext}`;
  // Tokens come from file and model names: keep separators out so the output cannot leave its folder, and a name that
  // would be hidden, `.`/`..` or empty (a token that rendered to nothing) gets a visible first character.
  const safe = name.replace(/[\\/]/g, '_');
  return safe === '' || safe.startsWith('.') ? `_${safe}` : safe;
}

/** The {date} token: the local calendar day of `time`. */
export function localDate(time: number): string {
  const d = new Date(time);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The {model} token: a model id, the last folder of a model path, or 'default'. */
export function modelLabel(model: string | null | undefined): string {
  return model ? baseName(model) : 'default';
}

/**
 * The concrete format and file extension of an output: outputFormatFor, keeping the input's own spelling of its
 * extension when the format is kept (photo.jpeg → photo_x2.jpeg).
 */
export function outputFileTypeFor(input: string, format: OutputFormat | 'keep'): { format: OutputFormat; ext: string } {
  const chosen = outputFormatFor(input, format);
  const keptSpelling = format === 'keep' && formatFromPath(input) === chosen;
  return { format: chosen, ext: keptSpelling ? extensionOf(input).slice(1).toLowerCase() : chosen };
}

export interface NamingSettings {
  naming: string;
  scale: number;
  model: string | null;
  format: OutputFormat | 'keep';
  video?: { codec: VideoCodec };
}

/** The name a frame pattern's output takes: the text before its number ("scan_%06d.dpx" → "scan"), as the CLI's. */
export function sequenceStem(pattern: string): string {
  return baseName(pattern).replace(/[_.-]?%0?\d*d.*$/, '') || 'frames';
}

/**
 * The output file name (no folder) for an input file name under these settings, on the day `time` falls on. A video
 * gets its codec's container as {ext}; a frame-sequence output is a folder, named without an extension.
 */
export function outputName(inputFile: string, settings: NamingSettings, time: number): string {
  const codec = settings.video?.codec ?? DEFAULT_VIDEO_CODEC;
  const video = isVideoInput(inputFile);
  const folder = video && isSequenceCodec(codec);
  const name = renderName(settings.naming, {
    name: isSequencePattern(inputFile) ? sequenceStem(inputFile) : stemOf(inputFile),
    scale: settings.scale,
    model: modelLabel(settings.model),
    ext: folder ? '' : video ? containerFor(codec, extensionOf(inputFile)) : outputFileTypeFor(inputFile, settings.format).ext,
    date: localDate(time),
  });
  return folder ? name.replace(/\.+$/, '') : name;
}
