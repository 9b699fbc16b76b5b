import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { escapeControl } from './sticky-log.js';

export interface LogLine { level: string; source: string; message: string; time: number }

export interface LogFile {
  write(entry: LogLine): void;
  /** Resolves once every line written so far is on disk. */
  flush(): Promise<void>;
}

/** One line per entry, appended in order: the app log under the state folder (`logs/subpixel.log`). */
export function openLogFile(path: string): LogFile {
  let chain: Promise<void> = mkdir(dirname(path), { recursive: true }).then(() => undefined, () => undefined);
  return {
    write(entry) {
      const line = `${new Date(entry.time).toISOString()} ${entry.level} ${entry.source}: ${escapeControl(entry.message)}\n`;
      // A log that cannot be written (disk full) must not take the app down with it.
      chain = chain.then(() => appendFile(path, line)).catch(() => undefined);
    },
    flush() {
      return chain;
    },
  };
}
