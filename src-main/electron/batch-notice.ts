/**
 * Turns the queue's progress summaries into "a batch finished" moments and the words of the notification.
 * A batch is the stretch between the queue getting work (queued or running items) and running dry; what it did is
 * the difference of the cumulative counts between those two moments. No 'electron' import: main.ts shows the text.
 */
import type { QueueSummary } from '../../src-common/api.js';

export interface BatchOutcome {
  done: number;
  failed: number;
  skipped: number;
  canceled: number;
  ms: number;
}

type Counts = QueueSummary['counts'];
const count = (counts: Counts, key: keyof Counts): number => counts[key] ?? 0;
const pending = (counts: Counts): number => count(counts, 'queued') + count(counts, 'running');

export interface BatchTracker {
  /** Feed every summary in order; returns the batch that just finished, else null. */
  update(summary: QueueSummary, now: number): BatchOutcome | null;
}

export function createBatchTracker(): BatchTracker {
  let start: { counts: Counts; at: number } | null = null;
  return {
    update(summary, now) {
      const busy = pending(summary.counts) > 0;
      if (busy) {
        start ??= { counts: { ...summary.counts }, at: now };
        return null;
      }
      if (!start) return null;
      const { counts: before, at } = start;
      start = null;
      // Items removed or cleared during the batch can make a count shrink: never report negative work.
      const diff = (key: keyof Counts) => Math.max(0, count(summary.counts, key) - count(before, key));
      const outcome = { done: diff('done'), failed: diff('failed'), skipped: diff('skipped'), canceled: diff('canceled'), ms: Math.max(0, now - at) };
      return outcome.done + outcome.failed + outcome.skipped > 0 ? outcome : null;
    },
  };
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${Math.max(1, seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 ? `${minutes} min ${seconds % 60} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}

const images = (n: number) => `${n} ${n === 1 ? 'image' : 'images'}`;

/** Title and body of the notification for a finished batch. */
export function batchNotification(outcome: BatchOutcome): { title: string; body: string } {
  const title = outcome.failed > 0 ? 'Batch finished with errors' : 'Batch finished';
  const parts = [`${images(outcome.done)} upscaled`];
  if (outcome.failed > 0) parts.push(`${outcome.failed} failed`);
  if (outcome.skipped > 0) parts.push(`${outcome.skipped} skipped`);
  if (outcome.canceled > 0) parts.push(`${outcome.canceled} canceled`);
  return { title, body: `${parts.join(', ')} in ${formatDuration(outcome.ms)}.` };
}

/** Notify only when the user is not looking at the window: the queue view already shows the result. */
export function shouldNotify(window: { visible: boolean; focused: boolean }): boolean {
  return !(window.visible && window.focused);
}
