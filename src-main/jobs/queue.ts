import { throwIfAborted } from '../common/errors.js';
import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { openJournal, readJournal, type Journal } from './journal.js';
import { expandInputs, mapLimit, probePixels, type InputFile } from './expand.js';
import { finishedOutputOnDisk, intendedOutput, planCompleted, planOutput, removeStaleTemps } from './naming.js';
import { ThroughputMeter } from './throughput.js';
import { runJobFor } from './engine-runner.js';
import { createMutex } from '../common/mutex.js';
import { isVideoInput, type VideoProgress } from '../../src-common/video.js';
import { probeSourceSummary } from '../video/source.js';
import { folderProblem, plainIoMessage } from '../common/io-errors.js';
import { stickyNotes } from '../common/sticky-log.js';
import { throttleLatest, type LatestThrottle } from '../common/throttle.js';
import {
  FINISHED_STATES, ITEM_STATES, jobSettingsSchema, queueItemSchema,
  type ItemOrigin, type ItemState, type JobSettingsInput, type LogEntry, type QueueItem, type QueueItemView,
  type QueueProgress, type Runner, type TileProgress,
} from './types.js';

const recordSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('item'), item: queueItemSchema }),
  z.object({ t: z.literal('remove'), ids: z.array(z.string()) }),
  z.object({ t: z.literal('order'), ids: z.array(z.string()) }),
  z.object({ t: z.literal('paused'), value: z.boolean() }),
]);
type JournalRecord = z.infer<typeof recordSchema>;

export interface QueueEvents {
  /** An item was added or changed (state, progress, output). */
  item: [item: QueueItemView];
  removed: [ids: string[]];
  /** The order of every item, after a reorder. */
  order: [ids: string[]];
  progress: [progress: QueueProgress];
  log: [entry: LogEntry];
}

export interface JobQueueOptions {
  journalPath: string;
  runner: Runner;
  /**
   * Items handed to the runner at once. The engine client serialises inference itself and overlaps the decode and
   * encode of the requests it holds, so 2 keeps the model busy while a neighbour is read or written.
   */
  concurrency?: number;
  /** Start dispatching at once (default true); a paused queue stays paused across restarts. */
  autoStart?: boolean;
  /** Input pixel count, for progress and ETA. */
  probe?: (path: string) => Promise<number | null>;
  /** Minimum milliseconds between two tile-progress events of one item (default 100). */
  progressIntervalMs?: number;
}

export interface AddOptions {
  origin?: ItemOrigin;
}

export interface AddResult {
  items: QueueItemView[];
  /** Paths that were not added, with why. */
  problems: string[];
}

interface Running {
  controller: AbortController;
  /** Why the run was aborted: the user canceled it, or the queue is shutting down and keeps it queued. */
  abortReason: 'cancel' | 'shutdown' | null;
  done: Promise<void>;
}

/**
 * The persistent job queue. Every change is appended to the journal (fsynced) before a method resolves or an event
 * announces it; on open the journal is replayed and compacted, and items that were running when the process died are
 * checked against their planned output: finished ones become done, the others are queued again.
 */
export class JobQueue extends EventEmitter<QueueEvents> {
  private readonly items = new Map<string, QueueItem>();
  private order: string[] = [];
  private readonly progressOf = new Map<string, TileProgress>();
  private readonly framesOf = new Map<string, VideoProgress>();
  private readonly running = new Map<string, Running>();
  private readonly planning = createMutex();
  private readonly lastItemEmit = new Map<string, number>();
  private readonly meter = new ThroughputMeter();
  private paused = false;
  private closing = false;
  private idleWaiters: Array<() => void> = [];
  /** Overall progress, at most once per interval while a batch runs; `true` announces at once. */
  private readonly progressThrottle: LatestThrottle<boolean>;

  private constructor(
    private readonly journal: Journal<JournalRecord>,
    private readonly runner: Runner,
    private readonly concurrency: number,
    private readonly probe: (path: string) => Promise<number | null>,
    private readonly progressIntervalMs: number,
  ) {
    super();
    this.progressThrottle = throttleLatest(() => this.emit('progress', this.progress()), progressIntervalMs, (force) => force);
  }

  static async open(options: JobQueueOptions): Promise<JobQueue> {
    const { records, damaged } = await readJournal(options.journalPath, (v) => {
      const parsed = recordSchema.safeParse(v);
      return parsed.success ? parsed.data : null;
    });
    const items = new Map<string, QueueItem>();
    let order: string[] = [];
    let paused = false;
    const removed = new Set<string>();
    for (const r of records) {
      if (r.t === 'item') {
        // A run that settled while its item was being removed may append after the removal: ids are never reused.
        if (removed.has(r.item.id)) continue;
        if (!items.has(r.item.id)) order.push(r.item.id);
        items.set(r.item.id, r.item);
      } else if (r.t === 'remove') {
        const gone = new Set(r.ids);
        for (const id of r.ids) { items.delete(id); removed.add(id); }
        order = order.filter((id) => !gone.has(id));
      } else if (r.t === 'order') {
        const known = r.ids.filter((id) => items.has(id));
        const rest = order.filter((id) => !known.includes(id));
        order = [...known, ...rest];
      } else paused = r.value;
    }
    const notes: LogEntry[] = [];
    const now = Date.now();
    if (damaged > 0) notes.push(log('warn', `queue journal: ignored ${damaged} damaged line(s) (a write cut short by a crash)`));
    for (const item of items.values()) {
      if (item.state !== 'running') continue;
      if (item.plan) {
        for (const temp of await removeStaleTemps(item.plan.path)) notes.push(log('info', `removed ${temp} left by an interrupted run`));
      }
      if (item.plan && (await planCompleted(item.plan))) {
        Object.assign(item, { state: 'done', output: item.plan.path, finishedAt: now, error: null });
        notes.push(log('info', `recovered ${item.input}: its output was complete when the process stopped`));
      } else {
        Object.assign(item, { state: 'queued', plan: null, startedAt: null });
        notes.push(log('info', `re-queued ${item.input}: it was running when the process stopped`));
      }
    }
    // A journal that lost its tail (cut short, damaged, restored from an older copy) shows finished items as queued.
    // The outputs on disk are the last word: a queued item whose output was written after it was added, and that no
    // other item claims, is done, not work to redo as a "(1)" copy.
    const claimed = new Map<string, string>();
    for (const item of items.values()) {
      for (const path of [item.output, item.plan?.path]) if (path) claimed.set(path, item.id);
    }
    const recovered = await mapLimit([...items.values()].filter((i) => i.state === 'queued'), 8, async (item) => {
      const path = await finishedOutputOnDisk(item.input, intendedOutput(item.input, item.relDir, item.settings, item.addedAt), item.addedAt,
        (p) => { const owner = claimed.get(p); return owner !== undefined && owner !== item.id; });
      return path ? { item, path } : null;
    });
    for (const found of recovered) {
      if (!found) continue;
      claimed.set(found.path, found.item.id);
      Object.assign(found.item, { state: 'done', output: found.path, finishedAt: now, error: null });
      notes.push(log('warn', `recovered ${found.item.input}: the journal had it queued, but its output ${found.path} was already written; not redone`));
    }
    const snapshot: JournalRecord[] = [{ t: 'paused', value: paused }, ...order.map((id) => ({ t: 'item' as const, item: items.get(id)! }))];
    const journal = await openJournal(options.journalPath, snapshot);
    const queue = new JobQueue(journal, options.runner, Math.max(1, options.concurrency ?? 1),
      options.probe ?? probePixels, options.progressIntervalMs ?? 100);
    for (const id of order) queue.items.set(id, items.get(id)!);
    queue.order = order;
    queue.paused = paused;
    // Listeners attach after open returns (and a caller may open more services first): each gets the notes when it attaches.
    const sticky = stickyNotes<LogEntry>(queue, 'log');
    for (const n of notes) sticky.add(n);
    if (options.autoStart !== false) setImmediate(() => queue.pump());
    return queue;
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  list(): QueueItemView[] {
    return this.order.map((id) => this.view(this.items.get(id)!));
  }

  get(id: string): QueueItemView | undefined {
    const item = this.items.get(id);
    return item && this.view(item);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** True for a file this queue wrote or is about to write (watchers must not take it as a new input). */
  isKnownOutput(path: string): boolean {
    return this.knownOutputs().has(resolve(path));
  }

  /** The input of the item that wrote (or is about to write) `path`, if any. */
  inputOfOutput(path: string): string | undefined {
    const abs = resolve(path);
    for (const item of this.items.values()) if (item.output === abs || item.plan?.path === abs) return item.input;
    return undefined;
  }

  /** Every path isKnownOutput accepts, gathered once per call: adding a large folder to a large queue stays linear. */
  private knownOutputs(): Set<string> {
    const paths = new Set<string>();
    for (const item of this.items.values()) {
      if (item.output) paths.add(item.output);
      if (item.plan) paths.add(item.plan.path);
    }
    return paths;
  }

  progress(): QueueProgress {
    const counts = Object.fromEntries(ITEM_STATES.map((s) => [s, 0])) as Record<ItemState, number>;
    const all = [...this.items.values()];
    for (const item of all) counts[item.state]++;
    const known = all.filter((i) => i.pixels !== null);
    const typical = known.length ? known.reduce((s, i) => s + i.pixels!, 0) / known.length : 1;
    let total = 0;
    let processed = 0;
    let left = 0;
    for (const item of all) {
      if (item.state === 'canceled' || item.state === 'skipped') continue;
      const px = item.pixels ?? typical;
      total += px;
      if (item.state === 'done' || item.state === 'failed') processed += px;
      else {
        const tiles = this.progressOf.get(item.id);
        const part = item.state === 'running' && tiles && tiles.tilesTotal > 0 ? tiles.tilesDone / tiles.tilesTotal : 0;
        processed += px * part;
        left += px * (1 - part);
      }
    }
    const pps = this.meter.pixelsPerSecond();
    return {
      total: all.length,
      counts,
      paused: this.paused,
      fraction: total > 0 ? processed / total : 1,
      pixelsPerSecond: pps,
      etaMs: left === 0 ? 0 : pps ? (left / pps) * 1000 : null,
    };
  }

  /** Resolves when nothing is running and nothing is waiting to run (or the queue is paused with nothing running). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---------------------------------------------------------------------------------------------
  // Changing

  /** Adds files and folders (recursively, keeping sub-folders under the output folder). Resolves once journaled. */
  async addPaths(paths: string[], settings: JobSettingsInput, options: AddOptions = {}): Promise<AddResult> {
    const { files, problems } = await expandInputs(paths, {
      videos: true, sequenceFolders: settings.video?.sequenceFolders === true,
    });
    const outputs = this.knownOutputs();
    const fresh = files.filter((f) => {
      if (!outputs.has(resolve(f.input))) return true;
      problems.push(`${f.input}: an output of this queue, not added`);
      return false;
    });
    const items = await this.addFiles(fresh, settings, options);
    return { items, problems };
  }

  /** Adds already-resolved input files (the watch service's entry point). Resolves once journaled. */
  async addFiles(files: InputFile[], settingsInput: JobSettingsInput, options: AddOptions = {}): Promise<QueueItemView[]> {
    this.assertOpen();
    const settings = jobSettingsSchema.parse(settingsInput);
    if (settings.outputDir) settings.outputDir = resolve(settings.outputDir);
    // A video file or a frame pattern (one numbered sequence = one item) is weighed by all its frames.
    const videos = await mapLimit(files, 4, (f) => (isVideoInput(f.input) ? probeSourceSummary(f.input) : Promise.resolve(null)));
    const pixels = await mapLimit(files, 4, (f) => (isVideoInput(f.input) ? Promise.resolve(null) : this.probe(f.input)));
    const now = Date.now();
    const added: QueueItem[] = files.map((f, i) => ({
      id: randomUUID(), input: resolve(f.input), relDir: f.relDir, settings: { ...settings }, origin: options.origin ?? { kind: 'user' },
      state: 'queued', addedAt: now, startedAt: null, finishedAt: null, attempts: 0, pixels: videos[i]?.pixels ?? pixels[i],
      ...(videos[i] ? { media: videos[i]!.description } : {}),
      plan: null, output: null, error: null, result: null,
    }));
    if (added.length === 0) return [];
    await this.journal.append(added.map((item) => ({ t: 'item', item })));
    for (const item of added) {
      this.items.set(item.id, item);
      this.order.push(item.id);
      this.emitItem(item);
    }
    this.emitProgress(true);
    this.pump();
    return added.map((i) => this.view(i));
  }

  async pause(): Promise<void> {
    if (this.paused) return;
    await this.journal.append([{ t: 'paused', value: true }]);
    this.paused = true;
    this.emitProgress(true);
    this.checkIdle();
  }

  async resume(): Promise<void> {
    if (!this.paused) return;
    await this.journal.append([{ t: 'paused', value: false }]);
    this.paused = false;
    this.emitProgress(true);
    this.pump();
  }

  /** Cancels queued or running items; a running one is aborted and ends canceled. Returns the ids it applied to. */
  async cancel(ids: string[]): Promise<string[]> {
    const changed: QueueItem[] = [];
    for (const id of ids) {
      const item = this.items.get(id);
      if (!item) continue;
      const run = this.running.get(id);
      if (run) {
        run.abortReason = 'cancel';
        run.controller.abort();
      } else if (item.state === 'queued') {
        changed.push({ ...item, state: 'canceled', finishedAt: Date.now() });
      }
    }
    await this.commit(changed);
    return [...changed.map((i) => i.id), ...ids.filter((id) => this.running.has(id))];
  }

  async cancelAll(): Promise<string[]> {
    return this.cancel(this.order.filter((id) => ['queued', 'running'].includes(this.items.get(id)!.state)));
  }

  /** Puts failed (and canceled) items back in the queue; no ids = every failed item. */
  async retry(ids?: string[]): Promise<string[]> {
    const targets = ids ?? this.order.filter((id) => this.items.get(id)!.state === 'failed');
    const changed = targets
      .map((id) => this.items.get(id))
      .filter((i): i is QueueItem => !!i && (i.state === 'failed' || i.state === 'canceled'))
      .map((i) => ({ ...i, state: 'queued' as const, error: null, plan: null, output: null, result: null, startedAt: null, finishedAt: null }));
    await this.commit(changed);
    this.pump();
    return changed.map((i) => i.id);
  }

  /** Moves an item to `index` in the queue order (clamped). */
  async move(id: string, index: number): Promise<void> {
    const from = this.order.indexOf(id);
    if (from < 0) throw new Error(`no queue item ${id}`);
    const next = this.order.filter((x) => x !== id);
    next.splice(Math.max(0, Math.min(index, next.length)), 0, id);
    await this.journal.append([{ t: 'order', ids: next }]);
    this.order = next;
    this.emit('order', [...next]);
  }

  /** Removes items (a running one is aborted first). */
  async remove(ids: string[]): Promise<string[]> {
    const gone = ids.filter((id) => this.items.has(id));
    if (gone.length === 0) return [];
    await this.journal.append([{ t: 'remove', ids: gone }]);
    for (const id of gone) {
      const run = this.running.get(id);
      if (run) {
        run.abortReason = 'cancel';
        run.controller.abort();
      }
      this.items.delete(id);
      this.progressOf.delete(id);
      this.framesOf.delete(id);
    }
    const set = new Set(gone);
    this.order = this.order.filter((id) => !set.has(id));
    this.emit('removed', gone);
    this.emitProgress(true);
    this.checkIdle();
    return gone;
  }

  async clearFinished(): Promise<string[]> {
    return this.remove(this.order.filter((id) => FINISHED_STATES.includes(this.items.get(id)!.state)));
  }

  /**
   * Stops dispatching and closes the journal. With `cancelRunning` the running items are aborted and stay queued
   * (they run again next time); otherwise they are allowed to finish first.
   */
  async close(options: { cancelRunning?: boolean } = {}): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const run of this.running.values()) {
      if (options.cancelRunning) {
        run.abortReason = 'shutdown';
        run.controller.abort();
      }
    }
    await Promise.all([...this.running.values()].map((r) => r.done));
    this.progressThrottle.cancel();
    await this.journal.close();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  // ---------------------------------------------------------------------------------------------
  // Running

  private pump(): void {
    if (this.closing || this.paused) return this.checkIdle();
    while (this.running.size < this.concurrency) {
      const next = this.order.find((id) => this.items.get(id)?.state === 'queued' && !this.running.has(id));
      if (!next) break;
      const run: Running = { controller: new AbortController(), abortReason: null, done: Promise.resolve() };
      this.running.set(next, run);
      run.done = this.runItem(next, run).catch((error: unknown) => {
        this.emit('log', log('error', `queue: ${(error as Error).message}`));
      }).finally(() => {
        this.running.delete(next);
        this.progressOf.delete(next);
        this.framesOf.delete(next);
        // Throttled while a batch runs; the state a batch ends in is always announced at once.
        if (this.isIdle()) this.emitProgress(true);
        this.pump();
      });
    }
    this.checkIdle();
  }

  private async runItem(id: string, run: Running): Promise<void> {
    const item = this.items.get(id)!;
    // Planning and journaling the plan happen under one lock: two items starting together (a.png and a.jpg → a.png,
    // or one file added twice) must see each other's reserved output, or both would write the same file.
    const decision = await this.planning.run(async () => {
      let inputs: Set<string> | null = null; // built only when a target exists: planning stays O(1) in big batches
      const reserved = new Set([...this.running.keys()].filter((r) => r !== id).map((r) => this.items.get(r)?.plan?.path));
      const intended = intendedOutput(item.input, item.relDir, item.settings, item.addedAt);
      let planned;
      try {
        planned = await planOutput(item.input, intended, item.settings.overwrite, {
          isInput: (p) => (inputs ??= new Set([...this.items.values()].map((i) => i.input))).has(resolve(p)),
          isReserved: (p) => reserved.has(resolve(p)),
        });
      } catch (error) {
        await this.commit([{ ...item, state: 'failed', error: (error as Error).message, finishedAt: Date.now() }]);
        return null;
      }
      if (run.controller.signal.aborted) return 'aborted' as const;
      if (planned.kind === 'skip') {
        await this.commit([{ ...item, state: 'skipped', output: null, error: planned.reason, finishedAt: Date.now() }]);
        return null;
      }
      // Journaled before the engine touches the output, so a crash can be told apart from a finished run.
      await this.commit([{ ...item, state: 'running' as const, plan: planned.plan, startedAt: Date.now(), attempts: item.attempts + 1, error: null }]);
      return planned;
    });
    if (decision === 'aborted') return this.settleAborted(id, run);
    if (decision === null) return;
    const job = runJobFor(id, item.input, item.settings, decision.plan);
    const t0 = performance.now();
    this.meter.begin();
    try {
      await mkdir(dirname(job.output), { recursive: true }).catch(async (error: unknown) => {
        // Node says ENOENT for a folder it cannot create on a read-only file system: say what is really wrong.
        throw new Error((await folderProblem(dirname(job.output))) ?? plainIoMessage(error));
      });
      throwIfAborted(run.controller.signal);
      const result = await this.runner(job, {
        signal: run.controller.signal,
        onProgress: (p) => this.onTiles(id, p),
        onFrames: (p) => { this.framesOf.set(id, p); },
      });
      this.meter.end(item.pixels ?? 0);
      const current = this.items.get(id);
      if (!current) return;
      await this.commit([{
        ...current, state: 'done', output: resolve(result.output), finishedAt: Date.now(), error: null,
        result: {
          width: result.width, height: result.height, ms: Math.round(performance.now() - t0),
          ...(result.model ? { model: result.model } : {}), ...(result.reason ? { reason: result.reason } : {}),
          ...(result.frames !== undefined ? { frames: result.frames, fps: result.fps, codec: result.codec } : {}),
        },
      }]);
    } catch (error) {
      this.meter.end(0);
      if (run.controller.signal.aborted) return this.settleAborted(id, run);
      const current = this.items.get(id);
      if (!current) return;
      const message = plainIoMessage(error);
      await this.commit([{ ...current, state: 'failed', error: message, finishedAt: Date.now() }]);
      // engine messages usually name the file already: say the path once
      this.emit('log', { ...log('error', message.includes(item.input) ? `failed ${message}` : `failed ${item.input}: ${message}`), itemId: id });
    }
  }

  private async settleAborted(id: string, run: Running): Promise<void> {
    const current = this.items.get(id);
    if (!current) return;
    if (run.abortReason === 'shutdown') {
      await this.commit([{ ...current, state: 'queued', plan: null, startedAt: null }]);
    } else {
      await this.commit([{ ...current, state: 'canceled', finishedAt: Date.now() }]);
    }
  }

  private onTiles(id: string, p: TileProgress): void {
    this.progressOf.set(id, p);
    const now = Date.now();
    const last = this.lastItemEmit.get(id) ?? 0;
    if (now - last >= this.progressIntervalMs || p.tilesDone === p.tilesTotal) {
      this.lastItemEmit.set(id, now);
      const item = this.items.get(id);
      if (item) this.emitItem(item);
    }
    this.emitProgress(false);
  }

  // ---------------------------------------------------------------------------------------------
  // Plumbing

  /** Journals new versions of items, then makes them current and announces them. */
  private async commit(list: QueueItem[]): Promise<void> {
    const changed = list.filter((item) => this.items.has(item.id));
    if (changed.length === 0) return;
    await this.journal.append(changed.map((item) => ({ t: 'item', item })));
    for (const item of changed) {
      if (!this.items.has(item.id)) continue; // removed meanwhile
      this.items.set(item.id, item);
      this.emitItem(item);
    }
    this.emitProgress(false);
    this.checkIdle();
  }

  private view(item: QueueItem): QueueItemView {
    const running = item.state === 'running';
    return {
      ...item, settings: { ...item.settings },
      progress: running ? this.progressOf.get(item.id) ?? null : null,
      ...(isVideoInput(item.input) ? { frames: running ? this.framesOf.get(item.id) ?? null : null } : {}),
    };
  }

  private emitItem(item: QueueItem): void {
    this.emit('item', this.view(item));
  }

  private emitProgress(force: boolean): void {
    this.progressThrottle.push(force);
  }

  private isIdle(): boolean {
    if (this.running.size > 0) return false;
    if (this.paused || this.closing) return true;
    return ![...this.items.values()].some((i) => i.state === 'queued');
  }

  private checkIdle(): void {
    if (this.idleWaiters.length && this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('the queue is closed');
  }
}

function log(level: LogEntry['level'], message: string): LogEntry {
  return { level, source: 'queue', message, time: Date.now() };
}
