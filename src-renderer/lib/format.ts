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

/** What the queue row shows as "size in → size out": exact pixels once done, else megapixels in and as planned. */
export function sizeInOut(item: Pick<QueueItem, 'pixels' | 'result' | 'settings'>): { input: string; output: string } {
  const scale = item.settings.scale;
  if (item.result) {
    const w = item.result.width;
    const h = item.result.height;
    return { input: `${Math.round(w / scale)}×${Math.round(h / scale)}`, output: `${w}×${h}` };
  }
  if (item.pixels === null) return { input: 'size unknown', output: '' };
  return { input: formatMegapixels(item.pixels), output: formatMegapixels(item.pixels * scale * scale) };
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
