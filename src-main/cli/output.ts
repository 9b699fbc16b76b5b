/** Shared CLI output helpers: one JSON document on stdout with --json, words on stderr otherwise. */
import { plainIoMessage } from '../common/io-errors.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** An error in one plain line ("disk full", not libvips' dozen lines about write buffers). */
export function errorText(error: unknown): string {
  return plainIoMessage(error);
}

/** Parses an integer option, failing with the option's name in the message. */
export function intOption(name: string, allowed?: readonly number[]): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || (allowed && !allowed.includes(n))) {
      throw new Error(`${name} must be ${allowed ? allowed.join(', ') : 'an integer'} (got '${value}')`);
    }
    return n;
  };
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
