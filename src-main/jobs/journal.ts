import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../common/atomic-write.js';

/**
 * An append-only JSON-lines file. `append` resolves only after the records are fsynced, so a caller that awaits it
 * before acknowledging never acknowledges something a crash could lose. Appends issued while a write is in flight
 * are committed together with one write and one fsync (group commit), which keeps bursts of thousands cheap.
 */
export interface Journal<R> {
  append(records: R[]): Promise<void>;
  close(): Promise<void>;
}

export interface JournalContents<R> {
  records: R[];
  /** Lines that did not parse (a torn last line after a crash is expected; others are reported). */
  damaged: number;
}

export async function readJournal<R>(path: string, parse: (value: unknown) => R | null): Promise<JournalContents<R>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], damaged: 0 };
    throw error;
  }
  const records: R[] = [];
  let damaged = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let record: R | null = null;
    try {
      record = parse(JSON.parse(line));
    } catch {
      record = null;
    }
    if (record === null) damaged++;
    else records.push(record);
  }
  return { records, damaged };
}

/** Rewrites the journal as `records` (the compacted state), atomically, then opens it for appending. */
export async function openJournal<R>(path: string, records: R[]): Promise<Journal<R>> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, records.map((r) => JSON.stringify(r) + '\n').join(''));
  const handle: FileHandle = await open(path, 'a');
  let pending: { lines: string; waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> } | null = null;
  let writing: Promise<void> | null = null;
  let closed = false;

  const flush = async (): Promise<void> => {
    while (pending) {
      const batch = pending;
      pending = null;
      try {
        await handle.appendFile(batch.lines);
        await handle.datasync();
        for (const w of batch.waiters) w.resolve();
      } catch (error) {
        for (const w of batch.waiters) w.reject(error);
      }
    }
    writing = null;
  };

  return {
    append(list) {
      if (closed) return Promise.reject(new Error(`journal ${path} is closed`));
      if (list.length === 0) return Promise.resolve();
      const lines = list.map((r) => JSON.stringify(r) + '\n').join('');
      return new Promise<void>((resolve, reject) => {
        if (pending) {
          pending.lines += lines;
          pending.waiters.push({ resolve, reject });
        } else {
          pending = { lines, waiters: [{ resolve, reject }] };
        }
        writing ??= flush();
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      if (writing) await writing;
      await handle.close();
    },
  };
}
