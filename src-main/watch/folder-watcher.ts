import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { walkImages } from '../jobs/expand.js';
import type { PathFilter } from './filter.js';

export interface FolderWatcherOptions {
  folder: string;
  recursive: boolean;
  filter: PathFilter;
  /** A file's size must stay the same this long before it is reported. */
  stabilityMs: number;
  /** How often the folder's presence is checked (and a missing one looked for). */
  pollMs: number;
  /**
   * Reconcile scans, a safety net behind the OS's events (a burst can outrun them, a new sub-folder's first files can
   * land before it is watched): every file is checked against the ledger by size and time, so a scan is cheap;
   * 0 = only at start and on return.
   */
  rescanMs: number;
}

export interface FolderWatcherEvents {
  /** A file to consider. `stable`: chokidar already waited for its size to settle; scans did not. */
  file: [path: string, stable: boolean];
  gone: [path: string];
  available: [];
  unavailable: [reason: string];
  /** The folder was removed and recreated (or replaced) between two checks: watching the new one. */
  replaced: [];
  /** A folder or file the scan could not take (unreadable folder, FIFO with an image's name, broken link). */
  problem: [message: string];
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
  /** dev:ino:birth time of the folder being watched: a folder removed and recreated is a new one, and chokidar goes deaf to it. */
  private identity: string | null = null;
  private scanning: Promise<void> | null = null;
  private rescanAgain = false;
  private announceNext = false;
  private readonly newFolders = new Set<string>();
  private newFolderTimer: NodeJS.Timeout | null = null;
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
    if (this.options.rescanMs > 0) this.rescanTimer = setInterval(() => { if (this.available) void this.scan(false); }, this.options.rescanMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    if (this.newFolderTimer) clearTimeout(this.newFolderTimer);
    this.pollTimer = this.rescanTimer = this.newFolderTimer = null;
    if (this.checking) await this.checking;
    if (this.scanning) await this.scanning;
    await this.closeWatcher();
  }

  /** Checks the folder is there; starts or stops watching on a change. Concurrent calls share one check. */
  check(): Promise<void> {
    this.checking ??= this.doCheck().finally(() => { this.checking = null; });
    return this.checking;
  }

  private async doCheck(): Promise<void> {
    let problem: string | null = null;
    let identity: string | null = null;
    try {
      const s = await stat(this.folder);
      if (!s.isDirectory()) problem = `${this.folder} is not a folder`;
      identity = `${s.dev}:${s.ino}:${s.birthtimeMs}`;
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
    if (this.available && identity !== this.identity) {
      // Removed and recreated between two checks (the inode number may even be the same; the birth time is not):
      // the old watch hears nothing any more. Watch the new folder and take what is already in it.
      await this.closeWatcher();
      this.identity = identity;
      await this.openWatcher();
      if (this.stopped) return;
      this.emit('replaced');
      await this.scan();
      return;
    }
    if (!this.available) {
      this.available = true;
      this.reportedUnavailable = false;
      this.identity = identity;
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
    // Files written into a new sub-folder before chokidar watches it are never announced: scan new folders shortly after.
    if (this.options.recursive) w.on('addDir', (path) => this.scanNewFolder(resolve(path)));
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
  scan(announce = true): Promise<void> {
    // One scan at a time; a request during a scan runs once more after it (a burst asks many times).
    if (this.scanning) {
      this.rescanAgain = true;
      this.announceNext ||= announce;
      return this.scanning;
    }
    this.scanning = (async () => {
      this.announceNext = announce;
      do {
        this.rescanAgain = false;
        const announcing = this.announceNext;
        this.announceNext = false;
        await this.scanFolder(this.folder, announcing);
      } while (this.rescanAgain && !this.stopped);
    })().finally(() => { this.scanning = null; });
    return this.scanning;
  }

  private async scanFolder(folder: string, whole: boolean): Promise<void> {
    const { files, problems } = await walkImages(folder, {
      recursive: this.options.recursive,
      accepts: (p) => this.options.filter.accepts(p),
      skipFolder: (p) => this.options.filter.ignored(p, { isFile: () => false, isDirectory: () => true }),
    });
    if (this.stopped) return;
    const rootUnreadable = problems.some((p) => p.startsWith(`${folder}: `));
    for (const problem of problems) this.emit('problem', problem);
    for (const path of files) this.emit('file', path, false);
    if (whole && !rootUnreadable) this.emit('scanned', files.length);
    if (rootUnreadable) void this.check();
  }

  private scanNewFolder(path: string): void {
    if (this.stopped || path === this.folder) return;
    this.newFolders.add(path);
    this.newFolderTimer ??= setTimeout(() => {
      this.newFolderTimer = null;
      // Only the top-most new folders: a scan of a folder covers the new folders inside it.
      const all = [...this.newFolders];
      this.newFolders.clear();
      const tops = all.filter((p) => !all.some((q) => q !== p && p.startsWith(q + sep)));
      for (const top of tops) void this.scanFolder(top, false);
    }, Math.max(50, this.options.stabilityMs));
  }
}
