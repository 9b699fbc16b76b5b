import { EventEmitter } from 'node:events';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { PathFilter } from './filter.js';

export interface FolderWatcherOptions {
  folder: string;
  recursive: boolean;
  filter: PathFilter;
  /** A file's size must stay the same this long before it is reported. */
  stabilityMs: number;
  /** How often the folder's presence is checked (and a missing one looked for). */
  pollMs: number;
  /** Full rescans as a safety net for events the OS dropped; 0 = only at start and on return. */
  rescanMs: number;
}

export interface FolderWatcherEvents {
  /** A file to consider. `stable`: chokidar already waited for its size to settle; scans did not. */
  file: [path: string, stable: boolean];
  gone: [path: string];
  available: [];
  unavailable: [reason: string];
  scanned: [count: number];
  error: [error: Error];
}

/**
 * One watched folder: chokidar for live events, a scan whenever watching (re)starts so files that arrived meanwhile
 * are found, and a presence check that turns a deleted or unreachable folder into 'unavailable' and resumes when it
 * comes back (chokidar does not follow a folder that is removed and recreated).
 */
export class FolderWatcher extends EventEmitter<FolderWatcherEvents> {
  private watcher: FSWatcher | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private rescanTimer: NodeJS.Timeout | null = null;
  private available = false;
  private stopped = false;
  private checking: Promise<void> | null = null;
  readonly folder: string;

  constructor(private readonly options: FolderWatcherOptions) {
    super();
    this.folder = resolve(options.folder);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.check();
    if (this.stopped) return; // stopped while the first check ran: start no timers
    this.pollTimer = setInterval(() => void this.check(), this.options.pollMs);
    if (this.options.rescanMs > 0) this.rescanTimer = setInterval(() => { if (this.available) void this.scan(); }, this.options.rescanMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    this.pollTimer = this.rescanTimer = null;
    if (this.checking) await this.checking;
    await this.closeWatcher();
  }

  /** Checks the folder is there; starts or stops watching on a change. Concurrent calls share one check. */
  check(): Promise<void> {
    this.checking ??= this.doCheck().finally(() => { this.checking = null; });
    return this.checking;
  }

  private async doCheck(): Promise<void> {
    let problem: string | null = null;
    try {
      const s = await stat(this.folder);
      if (!s.isDirectory()) problem = `${this.folder} is not a folder`;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problem = code === 'ENOENT' ? `${this.folder} does not exist (removed or not mounted)` : `${this.folder} is unreachable (${code ?? (error as Error).message})`;
    }
    if (this.stopped) return;
    if (problem !== null) {
      if (this.available || this.watcher === null) {
        const was = this.available;
        this.available = false;
        await this.closeWatcher();
        if (was || !this.reportedUnavailable) this.emit('unavailable', problem);
        this.reportedUnavailable = true;
      }
      return;
    }
    if (!this.available) {
      this.available = true;
      this.reportedUnavailable = false;
      await this.openWatcher();
      if (this.stopped) return;
      this.emit('available');
      await this.scan();
    }
  }

  private reportedUnavailable = false;

  private async openWatcher(): Promise<void> {
    const w = watch(this.folder, {
      ignoreInitial: true,
      ignored: (path, stats) => this.options.filter.ignored(path, stats),
      depth: this.options.recursive ? undefined : 0,
      awaitWriteFinish: { stabilityThreshold: this.options.stabilityMs, pollInterval: Math.min(100, Math.max(20, this.options.stabilityMs / 5)) },
      ignorePermissionErrors: true,
    });
    w.on('add', (path) => this.emit('file', resolve(path), true));
    w.on('change', (path) => this.emit('file', resolve(path), true));
    w.on('unlink', (path) => this.emit('gone', resolve(path)));
    w.on('unlinkDir', (path) => { if (resolve(path) === this.folder) void this.check(); });
    w.on('error', (error) => {
      this.emit('error', error instanceof Error ? error : new Error(String(error)));
      void this.check();
    });
    await new Promise<void>((resolveReady) => w.once('ready', () => resolveReady()));
    this.watcher = w;
  }

  private async closeWatcher(): Promise<void> {
    const w = this.watcher;
    this.watcher = null;
    if (w) await w.close();
  }

  /** Reports every accepted file under the folder (the queue side skips those the ledger already has). */
  async scan(): Promise<void> {
    let found: string[];
    try {
      const entries = await readdir(this.folder, { recursive: this.options.recursive, withFileTypes: true });
      found = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? this.folder, e.name))
        .filter((p) => this.options.filter.accepts(p)).sort();
    } catch (error) {
      this.emit('error', error as Error);
      void this.check();
      return;
    }
    if (this.stopped) return;
    for (const path of found) this.emit('file', path, false);
    this.emit('scanned', found.length);
  }
}
