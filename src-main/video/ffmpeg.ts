/**
 * Finding and running FFmpeg. Video decode and encode run in `ffmpeg` / `ffprobe` child processes; this module
 * only locates them and runs short commands. Lookup order: the configured path (setting, then SUBPIXEL_FFMPEG),
 * a build bundled with the installer (resources/ffmpeg/), then PATH.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CodedError } from '../common/errors.js';

export interface FfmpegTools {
  ffmpeg: string;
  ffprobe: string;
  /** First line of `ffmpeg -version` after "ffmpeg version", e.g. "5.1.6-0+deb12u1". */
  version: string;
  /** Where it was found. */
  source: 'configured' | 'env' | 'bundled' | 'path';
}

export class FfmpegMissingError extends CodedError {
  readonly kind = 'ffmpeg-missing';
  constructor(detail: string) {
    super('unsupported', `FFmpeg is needed for video and frame sequences but was not found (${detail}): install it (e.g. \`apt install ffmpeg\`, \`brew install ffmpeg\`, or ffmpeg.org) or set SUBPIXEL_FFMPEG to the ffmpeg executable`, { detail: 'ffmpeg-missing' });
    this.name = 'FfmpegMissingError';
  }
}

const exe = (name: string): string => (process.platform === 'win32' ? `${name}.exe` : name);

/** Folder of a bundled build: <app>/resources/ffmpeg/<platform>-<arch>/ (absent in a plain checkout). */
function bundledDir(): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const packaged = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  return join(packaged ?? join(root, 'resources'), 'ffmpeg', `${process.platform}-${process.arch}`);
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, exe(name));
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** ffprobe next to a given ffmpeg (same build), else on PATH. */
function probeBeside(ffmpeg: string): string | undefined {
  const beside = join(dirname(ffmpeg), exe('ffprobe'));
  return existsSync(beside) ? beside : onPath('ffprobe');
}

export function run(file: string, args: string[], options: { maxBuffer?: number; timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: options.maxBuffer ?? 256 * 1024 * 1024, timeout: options.timeoutMs ?? 0, windowsHide: true }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr: String(stderr) }));
      else resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function versionOf(ffmpeg: string): Promise<string> {
  const { stdout } = await run(ffmpeg, ['-hide_banner', '-version'], { timeoutMs: 20_000 });
  const match = /version\s+(\S+)/.exec(stdout);
  return match ? match[1] : stdout.split('\n')[0].trim();
}

const found = new Map<string, Promise<FfmpegTools>>();

/**
 * Locates ffmpeg and ffprobe (cached per configured path). Rejects with FfmpegMissingError (one clear line)
 * when none works; callers that handle stills never need to call it.
 */
export function findFfmpeg(configured?: string | null): Promise<FfmpegTools> {
  const key = `${configured ?? ''}\0${process.env.SUBPIXEL_FFMPEG ?? ''}`;
  let value = found.get(key);
  if (!value) {
    value = locate(configured ?? undefined);
    value.catch(() => found.delete(key));
    found.set(key, value);
  }
  return value;
}

async function locate(configured?: string): Promise<FfmpegTools> {
  const candidates: Array<{ ffmpeg: string; source: FfmpegTools['source'] }> = [];
  if (configured) candidates.push({ ffmpeg: configured, source: 'configured' });
  else if (process.env.SUBPIXEL_FFMPEG) candidates.push({ ffmpeg: process.env.SUBPIXEL_FFMPEG, source: 'env' });
  else {
    const bundled = join(bundledDir(), exe('ffmpeg'));
    if (existsSync(bundled)) candidates.push({ ffmpeg: bundled, source: 'bundled' });
    const path = onPath('ffmpeg');
    if (path) candidates.push({ ffmpeg: path, source: 'path' });
  }
  if (!candidates.length) throw new FfmpegMissingError('not on PATH');
  const problems: string[] = [];
  for (const { ffmpeg, source } of candidates) {
    const ffprobe = probeBeside(ffmpeg);
    if (!ffprobe) { problems.push(`no ffprobe beside ${ffmpeg}`); continue; }
    try {
      return { ffmpeg, ffprobe, version: await versionOf(ffmpeg), source };
    } catch (error) {
      problems.push(`${ffmpeg} does not run: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new FfmpegMissingError(problems.join('; '));
}

/** What `subpixel info` and the System view show. */
export async function ffmpegInfo(configured?: string | null): Promise<{ available: true; version: string; path: string; ffprobe: string; source: FfmpegTools['source'] } | { available: false; reason: string }> {
  try {
    const tools = await findFfmpeg(configured);
    return { available: true, version: tools.version, path: tools.ffmpeg, ffprobe: tools.ffprobe, source: tools.source };
  } catch (error) {
    return { available: false, reason: (error as Error).message };
  }
}

const codecLists = new Map<string, Promise<{ decoders: Set<string>; encoders: Set<string> }>>();

/** Decoder and encoder names this build has (ffmpeg -decoders / -encoders), cached. */
export function codecsOf(tools: FfmpegTools): Promise<{ decoders: Set<string>; encoders: Set<string> }> {
  let value = codecLists.get(tools.ffmpeg);
  if (!value) {
    const names = async (flag: string): Promise<Set<string>> => {
      const { stdout } = await run(tools.ffmpeg, ['-hide_banner', flag]);
      const set = new Set<string>();
      // Lines after " ------": " V....D ffv1   FFmpeg video codec #1"
      for (const line of stdout.split('\n')) {
        const m = /^\s[VAS.][A-Z.]{5}\s+(\S+)/.exec(line);
        if (m && m[1] !== '=') set.add(m[1]);
      }
      return set;
    };
    value = Promise.all([names('-decoders'), names('-encoders')]).then(([decoders, encoders]) => ({ decoders, encoders }));
    codecLists.set(tools.ffmpeg, value);
  }
  return value;
}
