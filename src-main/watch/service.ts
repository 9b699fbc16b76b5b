import { EventEmitter } from 'node:events';
import { copyFile, mkdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { createMutex } from '../common/mutex.js';
import { stickyNotes, type StickyNotes } from '../common/sticky-log.js';
import { finishedOutputOnDisk, intendedOutput } from '../jobs/naming.js';
import type { InputFile } from '../jobs/expand.js';
import type { JobQueue } from '../jobs/queue.js';
import type { LogEntry, QueueItemView } from '../jobs/types.js';
import { writeFileAtomic } from '../common/atomic-write.js';
import { hashFile, hashText, waitUntilFolderStable, waitUntilStable } from './file-identity.js';
import { isFilmScanPath, isSequencePattern } from '../../src-common/video-files.js';
import { sequenceFolderPattern } from '../video/sequence.js';
import { createPathFilter } from './filter.js';
import { FolderWatcher } from './folder-watcher.js';
import { WatchLedger, type LedgerEntry, type LedgerState } from './ledger.js';
import { createLimiter } from './limit.js';
import {
  watchConfigSchema,
  type WatchActivity, type WatchActivityKind, type WatchConfig, type WatchConfigInput, type WatchEvents, type WatchStatus, type WatchView,
} from './types.js';

/** How long count changes are gathered before a watch's view is announced again. */
const COUNTS_EVENT_MS = 200;

const watchesFileSchema = z.object({ version: z.literal(1), watches: z.array(watchConfigSchema) });

export interface WatchServiceOptions {
  /** watches.json: the persisted watch configs. */
  watchesPath: string;
  /** watch-ledger.jsonl */
  ledgerPath: string;
  queue: JobQueue;
  /** How long a file's size must be unchanged before it is taken (default 1000 ms). */
  stabilityMs?: number;
  /** Presence check of each folder, and retry interval of a missing one (default 2000 ms). */
  pollMs?: number;
  /** Reconcile scans behind the watcher, for events the OS dropped or never sent (default 30 s; 0 = off). */
  rescanMs?: number;
  /** New files are handed to the queue in batches gathered over this long (default 100 ms). */
  batchMs?: number;
}

interface Candidate { watchId: string; path: string; relDir: string; size: number; mtimeMs: number; hash: string }

interface Active { watcher: FolderWatcher; status: WatchStatus; message: string | null }

/**
 * Watch folders feeding the job queue. Each watch has its own settings; new or changed images become queue items,
 * recorded in a ledger so nothing is taken twice or missed across restarts. Files land in the queue in batches
 * (one journal write each), which is what lets a burst of thousands through without drops or a flood of fsyncs.
 */
export class WatchService extends EventEmitter<WatchEvents> {
  private configs: WatchConfig[] = [];
  private readonly active = new Map<string, Active>();
  private readonly inflight = new Set<string>();
  private pending: Candidate[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly countTimers = new Map<string, NodeJS.Timeout>();
  private flushing: Promise<void> = Promise.resolve();
  private readonly persistLock = createMutex();
  private readonly limit = createLimiter(8);
  private readonly busy = new Set<Promise<unknown>>();
  private readonly unclaimed = new Map<string, QueueItemView>();
  private readonly pendingKeys = new Set<string>();
  private readonly recheck = new Set<string>();
  /** Sequence folders whose listing is being waited on (watch id and folder). */
  private readonly sequenceWaits = new Set<string>();
  /** Watch items the ledger missed (a crash between the two writes), by watch and path; filled once at open. */
  private readonly unledgered = new Map<string, QueueItemView>();
  private closed = false;
  /** Until open() returns nobody can listen yet: what it reports is kept for each listener that attaches later. */
  private openingNotes: StickyNotes<LogEntry> | null = stickyNotes<LogEntry>(this, 'log');
  private readonly onItem = (item: QueueItemView): void => { this.track(this.onQueueItem(item)); };
  private readonly onRemoved = (ids: string[]): void => { this.track(this.onQueueRemoved(ids)); };

  private constructor(
    private readonly options: Required<Omit<WatchServiceOptions, 'queue'>> & { queue: JobQueue },
    private readonly ledger: WatchLedger,
  ) {
    super();
  }

  static async open(options: WatchServiceOptions): Promise<WatchService> {
    const ledger = await WatchLedger.open(options.ledgerPath);
    const service = new WatchService({ stabilityMs: 1000, pollMs: 2000, rescanMs: 30_000, batchMs: 100, ...options }, ledger);
    if (ledger.damaged) service.log('warn', `watch ledger ${options.ledgerPath}: ignored ${ledger.damaged} damaged line(s); files it no longer knows are checked against their outputs on disk`);
    service.configs = await service.loadConfigs();
    for (const config of service.configs) await ledger.putWatch(config);
    options.queue.on('item', service.onItem);
    options.queue.on('removed', service.onRemoved);
    await service.reconcile();
    service.openingNotes = null;
    return service;
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  list(): WatchView[] {
    return this.configs.map((c) => this.view(c));
  }

  get(id: string): WatchView | undefined {
    const c = this.configs.find((x) => x.id === id);
    return c && this.view(c);
  }

  /** Resolves once every file seen so far has been taken, skipped or handed to the queue. */
  async settled(): Promise<void> {
    while (this.busy.size || this.pending.length || this.inflight.size) {
      await Promise.all([...this.busy]);
      await this.flushNow();
      if (this.inflight.size && !this.busy.size) await new Promise((r) => setTimeout(r, 20));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Changing

  /** Starts every watch that is not paused (or only `ids`). */
  async start(ids?: string[]): Promise<void> {
    for (const c of this.configs) {
      if (ids && !ids.includes(c.id)) continue;
      if (!c.paused) await this.startWatch(c);
    }
  }

  async add(input: WatchConfigInput): Promise<WatchView> {
    const config = watchConfigSchema.parse({ ...input, id: input.id ?? randomUUID() });
    normalize(config);
    if (this.configs.some((c) => c.id === config.id)) throw new Error(`watch ${config.id} exists`);
    this.configs.push(config);
    await this.persist();
    await this.ledger.putWatch(config);
    this.emit('watch', this.view(config));
    if (!config.paused) await this.startWatch(config);
    return this.view(config);
  }

  /** Changes a watch's config (id stays) and restarts it. */
  async update(id: string, patch: Partial<Omit<WatchConfigInput, 'id'>>): Promise<WatchView> {
    const index = this.configs.findIndex((c) => c.id === id);
    if (index < 0) throw new Error(`no watch ${id}`);
    const config = watchConfigSchema.parse({ ...this.configs[index], ...patch, id });
    normalize(config);
    await this.stopWatch(id);
    this.configs[index] = config;
    await this.persist();
    await this.ledger.putWatch(config);
    this.emit('watch', this.view(config));
    if (!config.paused) await this.startWatch(config);
    return this.view(config);
  }

  async remove(id: string): Promise<void> {
    if (!this.configs.some((c) => c.id === id)) throw new Error(`no watch ${id}`);
    await this.stopWatch(id);
    this.configs = this.configs.filter((c) => c.id !== id);
    await this.persist();
    await this.ledger.drop(id);
    this.emit('removed', id);
  }

  async pause(id: string): Promise<WatchView> {
    return this.update(id, { paused: true });
  }

  /** Resumes a paused watch; files that arrived meanwhile are found by the scan at start. */
  async resume(id: string): Promise<WatchView> {
    return this.update(id, { paused: false });
  }

  /** Stops watching (configs stay as they are), hands what is pending to the queue and closes the ledger. */
  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.active.keys()].map((id) => this.stopWatch(id)));
    this.closed = true;
    for (const timer of this.countTimers.values()) clearTimeout(timer);
    this.countTimers.clear();
    await this.settled();
    this.options.queue.off('item', this.onItem);
    this.options.queue.off('removed', this.onRemoved);
    await this.ledger.close();
  }

  // ---------------------------------------------------------------------------------------------
  // Watching

  private async startWatch(config: WatchConfig): Promise<void> {
    if (this.closed || this.active.has(config.id)) return;
    const watcher = new FolderWatcher({
      folder: config.folder, recursive: config.recursive, filter: createPathFilter(config),
      stabilityMs: this.options.stabilityMs, pollMs: this.options.pollMs, rescanMs: this.options.rescanMs,
    });
    const state: Active = { watcher, status: 'starting', message: null };
    this.active.set(config.id, state);
    const setStatus = (status: WatchStatus, message: string | null): void => {
      state.status = status;
      state.message = message;
      const current = this.configs.find((c) => c.id === config.id);
      if (current) this.emit('watch', this.view(current));
    };
    watcher.on('file', (path, stable) => this.consider(config.id, path, stable));
    watcher.on('gone', (path) => this.track(this.onGone(config.id, path)));
    watcher.on('available', () => {
      setStatus('watching', null);
      this.activity(config.id, 'available', null, `watching ${watcher.folder}`);
    });
    watcher.on('unavailable', (reason) => {
      setStatus('unavailable', reason);
      this.activity(config.id, 'unavailable', null, `${reason}; retrying every ${this.options.pollMs} ms`);
      this.log('warn', `watch ${watcher.folder}: ${reason}; will retry`);
    });
    watcher.on('replaced', () => {
      setStatus('watching', null);
      this.activity(config.id, 'available', null, `${watcher.folder} was removed and recreated: watching the new folder, scanning it`);
      this.log('warn', `watch ${watcher.folder}: the folder was removed and recreated; watching the new one and scanning it`);
    });
    watcher.on('problem', (message) => this.activity(config.id, 'error', null, message));
    watcher.on('scanned', (count) => this.activity(config.id, 'scanned', null, `${count} image(s) present`));
    watcher.on('error', (error) => {
      state.message = error.message;
      this.activity(config.id, 'error', null, error.message);
    });
    await watcher.start();
  }

  private async stopWatch(id: string): Promise<void> {
    const state = this.active.get(id);
    if (!state) return;
    this.active.delete(id);
    await state.watcher.stop();
    const config = this.configs.find((c) => c.id === id);
    if (config) this.emit('watch', this.view(config));
  }

  private consider(watchId: string, path: string, stable: boolean): void {
    const key = `${watchId}\0${path}`;
    // Between being taken and reaching the ledger a file is not examined again (that would queue it twice); a
    // further event meanwhile is looked at once the ledger has it, so a change that landed in between is not lost.
    if (this.pendingKeys.has(key)) {
      this.recheck.add(key);
      return;
    }
    if (this.inflight.has(key)) return;
    this.inflight.add(key);
    this.track(this.limit(() => this.examine(watchId, path, stable)).catch((error: unknown) => {
      this.activity(watchId, 'error', path, (error as Error).message);
    }).finally(() => this.inflight.delete(key)));
  }

  /** Decides whether a file is new work: not ours, settled, and not already in the ledger with the same content. */
  private async examine(watchId: string, path: string, stable: boolean): Promise<void> {
    const config = this.configs.find((c) => c.id === watchId);
    if (!config || !this.active.has(watchId)) return;
    const folder = dirname(resolve(path));
    // A frame-sequence output (a folder of frames) is ours as a whole.
    if (this.ledger.isOutput(path) || this.options.queue.isKnownOutput(path) || this.options.queue.isKnownOutput(folder)) return;
    if (folder !== resolve(config.folder) && (isFilmScanPath(path) || config.settings.video?.sequenceFolders === true)) {
      if (await this.examineSequence(config, folder)) return;
    }
    if (isFilmScanPath(path)) return; // a DPX/EXR frame outside a sequence folder is no still
    const settled = stable ? await statOf(path) : await waitUntilStable(path, this.options.stabilityMs, () => !this.active.has(watchId));
    if (!settled) return;
    const known = this.ledger.get(watchId, path);
    if (known && known.size === settled.size && known.mtimeMs === settled.mtimeMs) return;
    const hash = await hashFile(path);
    if (known && known.hash === hash) {
      await this.ledger.put([{ ...known, size: settled.size, mtimeMs: settled.mtimeMs }]);
      this.activity(watchId, 'unchanged', path, 'same content as before: not taken again');
      return;
    }
    if (!known && this.adoptQueued(watchId, path, settled, hash)) return;
    if (!known && (await this.adoptFinished(config, path, settled, hash))) return;
    this.enqueue(watchId, path, relative(resolve(config.folder), dirname(path)), settled, hash);
  }

  private enqueue(watchId: string, path: string, relDir: string, settled: { size: number; mtimeMs: number }, hash: string): void {
    this.pendingKeys.add(`${watchId}\0${path}`);
    this.pending.push({ watchId, path, relDir, ...settled, hash });
    this.flushTimer ??= setTimeout(() => { this.flushTimer = null; void this.flushNow(); }, this.options.batchMs);
  }

  /**
   * A frame in a sub-folder that may be a frame sequence (a DPX/EXR frame, or any file when the watch's settings say
   * `video.sequenceFolders`): the folder is taken as ONE item, its frame pattern, once its listing (names, sizes,
   * mtimes) has not changed for the stability window, so a sequence still being copied is not taken half-way.
   * The ledger keeps the pattern with the listing's total size, newest mtime and hash: an unchanged folder is never
   * taken twice. Returns false when the folder has no numbered run (its files are then stills).
   */
  private async examineSequence(config: WatchConfig, folder: string): Promise<boolean> {
    const key = `${config.id}\0${folder}`;
    if (this.sequenceWaits.has(key)) return true; // the wait under way sees this frame too
    if (this.ledger.isOutput(folder) || this.options.queue.isKnownOutput(folder)) return true;
    this.sequenceWaits.add(key);
    try {
      const listing = await waitUntilFolderStable(folder, this.options.stabilityMs, () => !this.active.has(config.id));
      if (!listing) return true;
      const pattern = await sequenceFolderPattern(folder, config.settings.video?.sequenceFolders === true);
      if (!pattern) return false;
      if (this.pendingKeys.has(`${config.id}\0${pattern}`)) return true;
      const settled = { size: listing.size, mtimeMs: listing.mtimeMs };
      const known = this.ledger.get(config.id, pattern);
      if (known && known.size === settled.size && known.mtimeMs === settled.mtimeMs) return true;
      const hash = hashText(listing.signature);
      if (known && known.hash === hash) return true;
      if (!known && this.adoptQueued(config.id, pattern, settled, hash)) return true;
      this.enqueue(config.id, pattern, relative(resolve(config.folder), folder), settled, hash);
      return true;
    } finally {
      this.sequenceWaits.delete(key);
    }
  }

  /**
   * A crash between the queue's journal write and the ledger's leaves a queue item the ledger does not know.
   * Adopt it instead of queueing the file a second time.
   */
  private adoptQueued(watchId: string, path: string, settled: { size: number; mtimeMs: number }, hash: string): boolean {
    const key = `${watchId}\0${path}`;
    const item = this.unledgered.get(key);
    if (!item) return false;
    this.unledgered.delete(key);
    if (!(item.state === 'queued' || item.state === 'running' || (item.state === 'done' && (item.finishedAt ?? 0) >= settled.mtimeMs))) return false;
    this.track(this.ledger.put([{ watchId, path, ...settled, hash, state: toLedgerState(item.state), itemId: item.id }]));
    return true;
  }

  /**
   * A file the ledger does not know (the ledger or watches.json was damaged, or lost its tail) whose output is already
   * on disk, newer than the file: the outputs are the last word, so it is recorded as done rather than redone.
   */
  private async adoptFinished(config: WatchConfig, path: string, settled: { size: number; mtimeMs: number }, hash: string): Promise<boolean> {
    const relDir = relative(resolve(config.folder), dirname(path));
    const output = await finishedOutputOnDisk(path, intendedOutput(path, relDir, config.settings, Date.now()), settled.mtimeMs, (p) => {
      const owner = this.options.queue.inputOfOutput(p);
      return owner !== undefined && owner !== path;
    });
    if (!output) return false;
    await this.ledger.addOutput(output);
    await this.ledger.put([{ watchId: config.id, path, ...settled, hash, state: 'done', itemId: null }]);
    this.countsChanged(config.id);
    this.activity(config.id, 'unchanged', path, `its output ${output} is already on disk: not redone`);
    return true;
  }

  private flushNow(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.flushing = this.flushing.then(() => this.flush());
    return this.flushing;
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    const byWatch = new Map<string, Candidate[]>();
    for (const c of batch) {
      const list = byWatch.get(c.watchId);
      if (list) list.push(c);
      else byWatch.set(c.watchId, [c]);
    }
    for (const [watchId, candidates] of byWatch) {
      const config = this.configs.find((c) => c.id === watchId);
      if (!config) {
        for (const c of candidates) this.pendingKeys.delete(`${watchId}\0${c.path}`);
        continue;
      }
      try {
        const files: InputFile[] = candidates.map((c) => ({ input: c.path, relDir: c.relDir }));
        const items = await this.options.queue.addFiles(files, config.settings, { origin: { kind: 'watch', watchId } });
        await this.ledger.put(candidates.map((c, i) => ({
          watchId, path: c.path, size: c.size, mtimeMs: c.mtimeMs, hash: c.hash, state: 'queued', itemId: items[i].id,
        })));
        for (const c of candidates) this.activity(watchId, 'queued', c.path, null);
        this.countsChanged(watchId);
        for (const item of items) {
          const early = this.unclaimed.get(item.id);
          this.unclaimed.delete(item.id);
          const entry = this.ledger.byItemId(item.id);
          if (early && entry) await this.applyItemState(entry, this.options.queue.get(item.id) ?? early);
        }
      } catch (error) {
        this.log('error', `watch ${config.folder}: could not queue ${candidates.length} file(s): ${(error as Error).message}`);
      } finally {
        for (const c of candidates) {
          const key = `${watchId}\0${c.path}`;
          this.pendingKeys.delete(key);
          if (this.recheck.delete(key)) this.consider(watchId, c.path, false);
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Following the queue

  private async onQueueItem(item: QueueItemView): Promise<void> {
    if (item.origin.kind !== 'watch') return;
    const entry = this.ledger.byItemId(item.id);
    // The queue may report on an item before the batch that made it reached the ledger: keep it for flush().
    if (!entry) this.unclaimed.set(item.id, item);
    else await this.applyItemState(entry, item);
  }

  private async applyItemState(entry: LedgerEntry, item: Pick<QueueItemView, 'state' | 'output' | 'error'>): Promise<void> {
    const state = toLedgerState(item.state);
    if (state === entry.state) return;
    if (item.output) await this.ledger.addOutput(item.output);
    await this.ledger.put([{ ...entry, state }]);
    this.countsChanged(entry.watchId);
    const kind: WatchActivityKind | null = item.state === 'done' ? 'done' : item.state === 'failed' ? 'failed'
      : item.state === 'skipped' ? 'skipped' : item.state === 'canceled' ? 'canceled' : null;
    if (kind) this.activity(entry.watchId, kind, entry.path, item.error ?? item.output);
    if (item.state === 'done') await this.afterSuccess(entry);
  }

  private async onQueueRemoved(ids: string[]): Promise<void> {
    const changed = ids.map((id) => this.ledger.byItemId(id)).filter((e): e is LedgerEntry => !!e && e.state === 'queued');
    // A file whose item was removed by the user is left alone until it changes.
    await this.ledger.put(changed.map((e) => ({ ...e, state: 'removed' as const })));
  }

  private async onGone(watchId: string, path: string): Promise<void> {
    const entry = this.ledger.get(watchId, path);
    // Forget finished files that were deleted, so putting the same file back is new work; queued ones keep their item.
    if (entry && entry.state !== 'queued') await this.ledger.forget(watchId, path);
  }

  private async afterSuccess(entry: LedgerEntry): Promise<void> {
    const config = this.configs.find((c) => c.id === entry.watchId);
    // A sequence's frames stay where they are (moving a reel frame by frame would gain nothing and risk a half move).
    if (!config || config.afterSuccess.action !== 'move' || isSequencePattern(entry.path)) return;
    const now = await statOf(entry.path);
    // A file that changed after it was taken is new work, not the original we processed.
    if (!now || now.size !== entry.size || now.mtimeMs !== entry.mtimeMs) return;
    const target = await freePath(join(resolve(config.afterSuccess.folder), relative(resolve(config.folder), entry.path)));
    try {
      await mkdir(dirname(target), { recursive: true });
      await moveFile(entry.path, target);
      await this.ledger.forget(entry.watchId, entry.path);
      this.activity(entry.watchId, 'moved', entry.path, target);
    } catch (error) {
      this.activity(entry.watchId, 'error', entry.path, `could not move the original: ${(error as Error).message}`);
    }
  }

  /** At start: bring ledger entries up to date with what the queue did while the ledger was not listening. */
  private async reconcile(): Promise<void> {
    let lost = 0;
    const items = new Map(this.options.queue.list().map((i) => [i.id, i]));
    for (const item of items.values()) {
      if (item.origin.kind === 'watch' && !this.ledger.byItemId(item.id)) this.unledgered.set(`${item.origin.watchId}\0${item.input}`, item);
    }
    for (const config of this.configs) {
      for (const entry of this.ledger.entries(config.id)) {
        if (entry.state !== 'queued' || !entry.itemId) continue;
        const item = items.get(entry.itemId);
        if (item) {
          await this.applyItemState(entry, item);
          continue;
        }
        // Removing an item while this service listens marks its entry 'removed' at once; an entry still 'queued'
        // with no item means the queue journal lost it. Take the file again (its output on disk, if any, decides).
        await this.ledger.forget(config.id, entry.path);
        lost++;
      }
    }
    if (lost) this.log('warn', `queue journal lost ${lost} watched file(s) the ledger had queued; they are checked again (done ones are not redone)`);
  }

  // ---------------------------------------------------------------------------------------------
  // Plumbing

  private async loadConfigs(): Promise<WatchConfig[]> {
    let text: string;
    try {
      text = await readFile(this.options.watchesPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // No watch list but watches in the ledger: the file was deleted or never reached the disk.
      const restored = this.ledger.watchConfigs();
      if (restored.length) {
        this.log('warn', `watch list ${this.options.watchesPath} is missing; restored ${restored.length} watch(es) from the ledger's copy`);
        this.configs = restored;
        await this.persist();
      }
      return restored;
    }
    try {
      return watchesFileSchema.parse(JSON.parse(text)).watches;
    } catch (error) {
      const aside = `${this.options.watchesPath}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await rename(this.options.watchesPath, aside);
      const restored = this.ledger.watchConfigs();
      this.log('warn', `watch list ${this.options.watchesPath} could not be read (${(error as Error).message.split('\n')[0]}); kept it as ${aside}`
        + `; restored ${restored.length} watch(es) from the ledger's copy`);
      if (restored.length) {
        this.configs = restored;
        await this.persist();
      }
      return restored;
    }
  }

  private persist(): Promise<void> {
    return this.persistLock.run(async () => {
      await mkdir(dirname(this.options.watchesPath), { recursive: true });
      await writeFileAtomic(this.options.watchesPath, JSON.stringify({ version: 1, watches: this.configs }, null, 2) + '\n');
    });
  }

  private view(config: WatchConfig): WatchView {
    const state = this.active.get(config.id);
    const counts = { queued: 0, done: 0, failed: 0, other: 0 };
    for (const e of this.ledger.entries(config.id)) {
      if (e.state === 'queued' || e.state === 'done' || e.state === 'failed') counts[e.state]++;
      else counts.other++;
    }
    return {
      ...structuredClone(config),
      status: config.paused ? 'paused' : state?.status ?? 'stopped',
      message: state?.message ?? null,
      counts,
    };
  }

  /**
   * A watch's counts follow its ledger; announce them with a fresh view, coalesced per watch so that a burst of
   * thousands of files costs a few events, not one per file.
   */
  private countsChanged(watchId: string): void {
    if (this.closed || this.countTimers.has(watchId)) return;
    this.countTimers.set(watchId, setTimeout(() => {
      this.countTimers.delete(watchId);
      const config = this.configs.find((c) => c.id === watchId);
      if (config && !this.closed) this.emit('watch', this.view(config));
    }, COUNTS_EVENT_MS));
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.catch((error: unknown) => this.log('error', `watch: ${(error as Error).message}`)).finally(() => this.busy.delete(tracked));
    this.busy.add(tracked);
  }

  private activity(watchId: string, kind: WatchActivityKind, path: string | null, message: string | null): void {
    const a: WatchActivity = { watchId, kind, path, message, time: Date.now() };
    this.emit('activity', a);
  }

  private log(level: LogEntry['level'], message: string): void {
    const entry: LogEntry = { level, source: 'watch', message, time: Date.now() };
    if (this.openingNotes) this.openingNotes.add(entry);
    else this.emit('log', entry);
  }
}

function normalize(config: WatchConfig): void {
  config.folder = resolve(config.folder);
  if (config.settings.outputDir) config.settings.outputDir = resolve(config.settings.outputDir);
  if (config.afterSuccess.action === 'move') config.afterSuccess.folder = resolve(config.afterSuccess.folder);
}

function toLedgerState(state: QueueItemView['state']): LedgerState {
  return state === 'running' ? 'queued' : state;
}

async function statOf(path: string): Promise<{ size: number; mtimeMs: number } | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? { size: s.size, mtimeMs: s.mtimeMs } : null;
  } catch {
    return null;
  }
}

async function freePath(path: string): Promise<string> {
  if (!(await statOf(path))) return path;
  const ext = extname(path);
  const stem = path.slice(0, path.length - ext.length);
  for (let n = 1; ; n++) {
    const candidate = `${stem} (${n})${ext}`;
    if (!(await statOf(candidate))) return candidate;
  }
}

async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(from, to);
    await unlink(from);
  }
}
