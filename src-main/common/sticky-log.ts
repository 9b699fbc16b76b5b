import type { EventEmitter } from 'node:events';

/**
 * Recovery notes of a service that opens before anyone can listen (items re-queued, temp files removed, damaged
 * lines ignored, files set aside). Emitting them on the next turn lost them whenever the caller needed more than one
 * turn to attach its listeners; instead every listener of `event` gets them the moment it attaches, however late, and
 * a note added later goes to the listeners already there. A CLI and the app log each see each note exactly once.
 */
export interface StickyNotes<T> {
  add(entry: T): void;
  readonly entries: readonly T[];
}

export function stickyNotes<T>(emitter: EventEmitter, event: string): StickyNotes<T> {
  const entries: T[] = [];
  emitter.on('newListener', (name: string | symbol, listener: (entry: T) => void) => {
    if (name === event) for (const entry of entries) listener(entry);
  });
  return {
    entries,
    add(entry) {
      entries.push(entry);
      emitter.emit(event, entry);
    },
  };
}

/** Control characters of a path or name, shown as escapes: a file name cannot rewrite the terminal or split a log line. */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}
