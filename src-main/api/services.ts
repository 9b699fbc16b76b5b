import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { withDisposables } from '../common/disposable.js';
import { defaultOutputFolder } from '../common/pictures.js';
import { join } from 'node:path';
import { openLogFile } from '../common/log-file.js';
import { claimStateHome, type StateLock } from '../common/state-lock.js';
import { stateHome, statePaths, type StatePaths } from '../common/state-home.js';
import type { LogEntry } from '../jobs/types.js';
import { listModels, shippedModelsDir } from '../engine/models/store.js';
import type { RemoteRunner } from '../cluster/remote-runner.js';
import { engineRunner } from '../jobs/engine-runner.js';
import { JobQueue } from '../jobs/queue.js';
import { SettingsStore } from '../settings/store.js';
import { WatchService } from '../watch/service.js';
import { createEngineClient, type EngineClient } from '../workers/engine-client.js';
import { fineTuneInWorker } from '../workers/training-client.js';
import { createAllowedRoots, type AllowedRoots } from '../services/roots.js';
import { TrainingJobs } from '../services/training-jobs.js';
import { pruneUploads } from '../services/uploads.js';
import { UploadStaging } from '../services/upload-staging.js';

/**
 * Everything the API drives, opened from one state folder. The composition root for `subpixel serve` and the
 * Electron main process; each service keeps its own files under `paths` (see state-home.ts).
 */
export interface AppServices {
  paths: StatePaths;
  settings: SettingsStore;
  queue: JobQueue;
  watch: WatchService;
  training: TrainingJobs;
  engine: EngineClient;
  roots: AllowedRoots;
  /** Model folders, first match wins: shipped models, then the user's (fine-tuned, imported) under the state folder. */
  modelDirs: string[];
  /** The user's models folder (imports, fine-tunes land here). */
  userModelsDir: string;
  /** Native open dialog, provided by the Electron shell only. */
  pickPaths?: (request: { kind: 'files' | 'folder'; multiple: boolean; title?: string }) => Promise<string[]>;
  /** Open a file or folder with its default app, show a file in the file manager: provided by the Electron shell only. */
  shell?: { open(path: string): Promise<void>; reveal(path: string): void };
  /** Where outputs without a source folder of their own go (uploads): the setting, else Pictures/Subpixel. */
  uploadsOutputDir(): string;
  /** Browser-mode uploads arriving in chunks (limits and disk budget: UPLOAD_LIMITS). */
  uploads: UploadStaging;
  /** This process's claim on the state folder (one owner at a time; see common/state-lock.ts). */
  lock: StateLock;
  /** Warnings and errors logged since open (recovery notes first), newest last: what the app shows on start. */
  warnings(): LogEntry[];
  /** Where every service's log entries are appended (recovery notes included). */
  logFile: string;
  close(): Promise<void>;
}

export interface OpenServicesOptions {
  /** State folder; default $SUBPIXEL_HOME or the per-user default (see stateHome). */
  home?: string;
  /** Folders the API may touch besides the user's home (`serve --allow`, folders picked in a dialog). */
  allow?: string[];
  /** Include the user's home in the allowed roots (default true). */
  allowHome?: boolean;
  /** Start dispatching queue items and watching folders at once (default true). */
  autoStart?: boolean;
  /** Start the saved watches (default: as autoStart); `subpixel watch` starts only the folders it is given. */
  startWatches?: boolean;
  /** Run saved and new fine-tune jobs (default: as autoStart); `subpixel watch` leaves the app's jobs alone. */
  startTraining?: boolean;
  /** What this process is, for the message a second process gets (default 'a Subpixel process'). */
  role?: string;
  /** Run queue items on the worker pool behind this Redis, whatever the Cluster setting says (`subpixel watch --redis`). */
  redisUrl?: string;
}

/** Warnings kept for system.info (the app log keeps them all). */
const MAX_KEPT_WARNINGS = 50;

export async function openAppServices(options: OpenServicesOptions = {}): Promise<AppServices> {
  const paths = statePaths(stateHome(options.home));
  await mkdir(paths.home, { recursive: true });
  // Everything opened goes into the store at once: when a later step throws, what was opened before it is closed,
  // the state folder's lock last.
  const { value, store } = await withDisposables(async (store) => {
    // Before any state file is read: a second process on this folder would redo and rewrite the first one's work.
    const lock = store.add(
      await claimStateHome(paths.home, options.role ?? `a Subpixel process (${process.argv.slice(1, 3).map((a) => a.split('/').pop()).join(' ')})`),
      (l) => l.release(),
    );
    const logFile = join(paths.logs, 'subpixel.log');
    const appLog = store.add(openLogFile(logFile), (log) => log.flush());
    // The app log gets everything; warnings are also kept for the app to show (recoveries happen before it connects).
    // A line about one queue item is not one: its row already says why; a window opened later should not pop it up.
    const warnings: LogEntry[] = [];
    const toLog = (entry: LogEntry): void => {
      appLog.write(entry);
      if ((entry.level === 'warn' || entry.level === 'error') && !entry.itemId) {
        warnings.push(entry);
        if (warnings.length > MAX_KEPT_WARNINGS) warnings.shift();
      }
    };
    for (const note of lock.notes) toLog({ level: 'warn', source: 'state', message: note, time: Date.now() });
    await mkdir(paths.models, { recursive: true });
    const settings = await SettingsStore.open(paths.settings);
    const modelDirs = [shippedModelsDir(), paths.models];
    const engine = store.add(createEngineClient(), (e) => e.close());
    // The pool's client (BullMQ, the Redis driver) loads only when a Redis URL is set.
    let pool: Promise<RemoteRunner> | undefined;
    store.defer(async () => (await pool)?.close());
    const queue = store.add(await JobQueue.open({
      journalPath: paths.queueJournal,
      // Backend, tile and the worker pool come from the settings of the moment each item starts, so a change applies
      // to the next item.
      runner: (job, hooks) => {
        const redisUrl = options.redisUrl ?? settings.get().cluster.redisUrl;
        if (redisUrl) {
          pool ??= import('../cluster/remote-runner.js').then((m) => m.remoteRunner());
          return pool.then((p) => p.run(redisUrl, job, hooks));
        }
        const { backend, tile, ffmpegPath } = settings.get().engine;
        return engineRunner(engine, { modelSearchPaths: modelDirs, backend, tile, ffmpegPath })(job, hooks);
      },
      concurrency: 2,
      autoStart: options.autoStart,
    }), (q) => q.close({ cancelRunning: true }));
    const watch = store.add(await WatchService.open({
      watchesPath: paths.watches,
      ledgerPath: paths.watchLedger,
      queue,
      stabilityMs: settings.get().watch.stabilityMs,
    }), (w) => w.close());
    if (options.startWatches ?? options.autoStart !== false) await watch.start();
    // uploads whose items left the queue while the app was not running (or before this cleanup existed)
    await pruneUploads(paths.uploads, queue.list().map((i) => i.input));
    // Chunked uploads of an earlier run cannot be continued (their sessions are gone): start with an empty staging area.
    const uploads = store.add(await UploadStaging.open(paths.uploads), (u) => u.close());
    const training = store.add(await TrainingJobs.open({
      // The job's parameters go to fineTune as they are: both speak FineTuneParams (src-common/training.ts).
      run: ({ id, outDir, input: { name: _name, ...params }, resume }, onProgress, signal) => fineTuneInWorker({
        ...params, id, outDir, searchPaths: modelDirs, ...(resume ? { resume } : {}),
      }, onProgress, signal),
      modelsDir: paths.models,
      existingIds: async () => (await listModels(modelDirs)).models.map((m) => m.id),
      statePath: paths.trainingJobs,
      autoStart: options.startTraining ?? options.autoStart !== false,
    }), (t) => t.close());
    // The app log hears every service from its first note on (notes made while opening are replayed to it).
    for (const emitter of [settings, queue, watch, training]) emitter.on('log', toLog);
    const roots = await createAllowedRoots([
      ...(options.allowHome === false ? [] : [{ path: homedir(), source: 'home' as const }]),
      ...(options.allow ?? []).map((path) => ({ path, source: 'start' as const })),
      ...settings.get().folders.allowed.map((path) => ({ path, source: 'settings' as const })),
    ]);
    // Results of uploads go to Pictures/Subpixel (or the folder set for them): it must be usable (Open, Download) even
    // where the Pictures folder lies outside the home folder.
    const uploadsOutput = settings.get().folders.uploadsOutputDir ?? defaultOutputFolder();
    if (options.allowHome !== false && !(await roots.resolveInside(uploadsOutput))) await roots.add(uploadsOutput, 'output');
    return {
      paths, settings, queue, watch, training, engine, roots, modelDirs, userModelsDir: paths.models,
      uploadsOutputDir: () => settings.get().folders.uploadsOutputDir ?? defaultOutputFolder(),
      lock, logFile, uploads, warnings: () => [...warnings],
    };
  });
  // Closing runs the same teardowns, newest first; each runs even when one before it fails.
  return { ...value, close: () => store.dispose() };
}
