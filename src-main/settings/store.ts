import { EventEmitter } from 'node:events';
import { mkdir, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { CodedError } from '../common/errors.js';
import { createMutex } from '../common/mutex.js';
import type { LogEntry } from '../jobs/types.js';
import { writeFileAtomic } from '../common/atomic-write.js';
import type { SettingsChange } from '../../src-common/settings.js';
import { defaultSettings, migrate, settingsSchema, type Settings } from './schema.js';
import { stickyNotes } from '../common/sticky-log.js';

export interface SettingsEvents {
  changed: [settings: Settings];
  log: [entry: LogEntry];
}

/** A settings change that does not validate; nothing was changed. */
export class SettingsValidationError extends CodedError {
  constructor(message: string) {
    super('invalid_input', message);
    this.name = 'SettingsValidationError';
  }
}

/**
 * settings.json: validated on load and on every change, written atomically. A file that cannot be read as settings
 * is moved aside as settings.json.corrupt-<time> (kept for the user) and replaced by defaults, with a warning.
 */
export class SettingsStore extends EventEmitter<SettingsEvents> {
  private readonly lock = createMutex();

  private constructor(private readonly path: string, private current: Settings, readonly warnings: string[]) {
    super();
  }

  static async open(path: string): Promise<SettingsStore> {
    await mkdir(dirname(path), { recursive: true });
    const warnings: string[] = [];
    let text: string | null = null;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    let settings: Settings | null = null;
    let problem: string | null = null;
    let migratedFrom: number | null = null;
    if (text !== null) {
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (error) {
        problem = `not valid JSON (${(error as Error).message})`;
      }
      if (problem === null) {
        const migrated = migrate(raw);
        if (!migrated.ok) problem = migrated.reason;
        else {
          const parsed = settingsSchema.safeParse(migrated.value);
          if (parsed.success) {
            settings = parsed.data;
            if (migrated.from !== parsed.data.version) migratedFrom = migrated.from;
          } else problem = z.prettifyError(parsed.error).replace(/\n/g, '; ');
        }
      }
    }
    if (problem !== null) {
      const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await rename(path, aside);
      warnings.push(`settings file ${path} could not be used (${problem}); kept it as ${aside} and started from defaults`);
    }
    if (migratedFrom !== null) warnings.push(`settings upgraded from version ${migratedFrom} to ${settings!.version}`);
    const store = new SettingsStore(path, settings ?? defaultSettings(), warnings);
    if (settings === null || migratedFrom !== null) await writeFileAtomic(path, store.serialize(store.current));
    // Each listener gets these when it attaches, however late (see common/sticky-log.ts).
    const notes = stickyNotes<LogEntry>(store, 'log');
    for (const w of warnings) notes.add({ level: 'warn', source: 'settings', message: w, time: Date.now() });
    return store;
  }

  get(): Settings {
    return structuredClone(this.current);
  }

  /** Merges a partial change section by section, validates the result, persists it, then announces it. */
  update(patch: SettingsChange): Promise<Settings> {
    return this.lock.run(async () => {
      const merged: Record<string, unknown> = { ...this.current };
      for (const [section, values] of Object.entries(patch)) {
        if (section === 'version') continue;
        const base = (this.current as Record<string, unknown>)[section];
        if (base === undefined) throw new SettingsValidationError(`unknown settings section "${section}"`);
        merged[section] = { ...(base as object), ...(values as object) };
      }
      return this.replace(merged);
    });
  }

  reset(): Promise<Settings> {
    return this.lock.run(() => this.replace(defaultSettings()));
  }

  private async replace(candidate: unknown): Promise<Settings> {
    const parsed = settingsSchema.safeParse(candidate);
    if (!parsed.success) throw new SettingsValidationError(z.prettifyError(parsed.error));
    await writeFileAtomic(this.path, this.serialize(parsed.data));
    this.current = parsed.data;
    this.emit('changed', this.get());
    return this.get();
  }

  private serialize(settings: Settings): string {
    return JSON.stringify(settings, null, 2) + '\n';
  }
}
