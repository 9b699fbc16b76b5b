/** Pure formatting for the views: sizes, durations, progress, the naming example. No DOM, no API. */
import type { ItemStatus, JobSettings, QueueItem } from '../../src-common/api.js';
import { outputName } from '../../src-common/naming.js';

export { namingProblem } from '../../src-common/naming.js';

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit++; }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Megapixels with two significant decimals below 10. */
export function formatMegapixels(pixels: number): string {
  const mp = pixels / 1e6;
  return `${mp < 10 ? mp.toFixed(2) : mp.toFixed(1)} MP`;
}

/** `1 h 02 min`, `3 min 05 s`, `42 s`, `< 1 s`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return '< 1 s';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  if (m > 0) return `${m} min ${String(sec).padStart(2, '0')} s`;
  return `${sec} s`;
}

export function formatPercent(fraction: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  return `${Math.floor(clamped * 100)} %`;
}

export function fileName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

export function folderOf(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i > 0 ? path.slice(0, i) : path;
}

/**
 * What the queue row shows as "size in → size out", always in pixels (W×H): the output's exact size once done,
 * else the source size (from its thumbnail) times the scale; '' while neither is known yet.
 */
export function sizeInOut(
  item: Pick<QueueItem, 'result' | 'settings'>, source?: { width: number; height: number } | null,
): { input: string; output: string } {
  const scale = item.settings.scale;
  if (item.result) {
    const w = item.result.width;
    const h = item.result.height;
    const input = source ?? { width: Math.round(w / scale), height: Math.round(h / scale) };
    return { input: `${input.width}×${input.height}`, output: `${w}×${h}` };
  }
  if (!source) return { input: '', output: '' };
  return { input: `${source.width}×${source.height}`, output: `${source.width * scale}×${source.height * scale}` };
}

/** Models as every list shows them: by scale, the default first, then shipped by score, then custom newest first. */
export function sortModels<T extends { id: string; scale: number; isDefault: boolean; source: string; scores: Record<string, { psnr: number; ssim: number }>; createdAt: number | null }>(list: readonly T[]): T[] {
  const rank = (m: T) => (m.isDefault ? 0 : m.source === 'shipped' ? 1 : 2);
  return [...list].sort((a, b) => a.scale - b.scale || rank(a) - rank(b)
    || (a.source === 'custom' ? (b.createdAt ?? 0) - (a.createdAt ?? 0) : (headlineScore(b.scores)?.psnr ?? 0) - (headlineScore(a.scores)?.psnr ?? 0))
    || a.id.localeCompare(b.id));
}

/** A model's choice for an item, as the row shows it: "robust: JPEG q≈62" when Automatic reported why. */
export function modelNote(item: Pick<QueueItem, 'result'>): string {
  const r = item.result;
  if (!r?.model && !r?.reason) return '';
  return r.reason ? r.reason : r.model ?? '';
}

/** An item's error without the input path it usually starts with: the row already names the file. */
export function errorWithoutPath(error: string, input: string): string {
  return error.startsWith(`${input}: `) ? error.slice(input.length + 2) : error;
}

/** Where an item came from, in words: its folder, or that it was dropped into the browser (an upload under the state folder). */
export function sourceLabel(input: string, stateHome: string | undefined): string {
  const folder = folderOf(input);
  if (stateHome && folder.startsWith(`${stateHome}/uploads`)) return 'dropped into the browser';
  return folder;
}

export const STATUS_LABEL: Record<ItemStatus, string> = {
  queued: 'Queued',
  running: 'Upscaling',
  done: 'Done',
  failed: 'Failed',
  canceled: 'Canceled',
  skipped: 'Skipped',
};

/** 0..1 for one item: tile progress while running, 1 when finished, 0 before. */
export function itemFraction(item: Pick<QueueItem, 'state' | 'progress'>): number {
  if (item.state === 'done' || item.state === 'skipped') return 1;
  if (item.state !== 'running' || !item.progress || item.progress.tilesTotal === 0) return 0;
  return Math.min(1, item.progress.tilesDone / item.progress.tilesTotal);
}

/** A video row's frame line: "frame 120 of 480 · 31.2 fps" while running, "480 frames · 29.8 fps · ffv1" once done. */
export function videoNote(item: Pick<QueueItem, 'state' | 'frames' | 'result'>): string {
  if (item.state === 'running' && item.frames) {
    return `frame ${item.frames.framesDone} of ${item.frames.framesTotal}${item.frames.fps > 0 ? ` · ${item.frames.fps.toFixed(1)} fps` : ''}`;
  }
  const r = item.result;
  if (item.state === 'done' && r?.frames !== undefined) return `${r.frames} frames${r.fps ? ` · ${r.fps.toFixed(1)} fps` : ''}${r.codec ? ` · ${r.codec}` : ''}`;
  return '';
}

/** The file name a setting produces for an example input: the queue's own naming rule (src-common/naming.ts). */
export function exampleOutputName(
  settings: Pick<JobSettings, 'naming' | 'scale' | 'model' | 'format'>,
  input = 'holiday.jpg',
  now = new Date(),
): string {
  return outputName(fileName(input), settings, now.getTime());
}

/** Best score to show for a model: Set5 first, then any benchmark, then the fine-tune's validation score. */
export function headlineScore(scores: Record<string, { psnr: number; ssim: number }>): { set: string; psnr: number; ssim: number } | null {
  const order = ['Set5', 'Set14', ...Object.keys(scores).filter((k) => k !== 'Set5' && k !== 'Set14' && k !== 'validation'), 'validation'];
  for (const set of order) {
    const s = scores[set];
    if (s) return { set, ...s };
  }
  return null;
}

export function formatTime(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}`;
}
