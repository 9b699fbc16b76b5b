import cliProgress from 'cli-progress';
import { formatDuration } from './output.js';

export interface PixelBar {
  /** label: what runs now (a file name, a video's frame count). */
  update(pixelsDone: number, filesDone: number, label: string): void;
  stop(): void;
}

/**
 * The batch progress bar on stderr, counting pixels (a large image weighs more than a small one) with files and ETA
 * beside it; undefined where it would not show (--json, not a terminal, nothing to do).
 */
export function pixelBar(
  totalPixels: number, files: number, enabled: boolean,
  /** Measured pixels per second (the queue's ThroughputMeter); the ETA falls back to elapsed time while it is null. */
  rate?: () => number | null,
): PixelBar | undefined {
  if (!enabled || process.stderr.isTTY !== true || files === 0) return undefined;
  const bar = new cliProgress.SingleBar({
    format: '{bar} {percentage}% | {files} | ETA {etaText} | {file}',
    hideCursor: true,
    clearOnComplete: false,
  }, cliProgress.Presets.shades_classic);
  const started = Date.now();
  bar.start(totalPixels, 0, { files: `0/${files} files`, etaText: '?', file: '' });
  return {
    update(value, filesDone, label) {
      const elapsed = (Date.now() - started) / 1000;
      const pps = rate?.() ?? null;
      const eta = pps ? (totalPixels - value) / pps : value > 0 ? (elapsed * (totalPixels - value)) / value : Number.NaN;
      bar.update(value, { files: `${filesDone}/${files} files`, etaText: formatDuration(eta), file: label });
    },
    stop: () => bar.stop(),
  };
}
