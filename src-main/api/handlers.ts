/**
 * The wiring from contract commands to the services, and from service events to contract events: the one place
 * that knows both sides. Every command has its handler here (createHandlers returns the complete Handlers).
 */
import { extractFrame, frameCount } from '../video/frames.js';
import { isVideoInput } from '../../src-common/video-files.js';
import type { EventEmitter as NodeEventEmitter } from 'node:events';
import type { EventEmitter } from 'node:events';
import { ffmpegInfo } from '../video/ffmpeg.js';
import { cpus, arch, platform } from 'node:os';
import { basename, join } from 'node:path';
import { mkdir, rm, stat } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { DisposableStore } from '../common/disposable.js';
import { backendOrder, probeBackends } from '../engine/backends/select.js';
import { READABLE_FORMATS } from '../../src-common/formats.js';
import { defaultOutputFolder } from '../common/pictures.js';
import { isImagePath } from '../jobs/expand.js';
import { listModels } from '../engine/models/store.js';
import type { QueueEvents } from '../jobs/queue.js';
import type { LogEntry, QueueItemView } from '../jobs/types.js';
import type { SettingsEvents } from '../settings/store.js';
import type { WatchEvents } from '../watch/types.js';
import type { TrainingJobEvents } from '../services/training-jobs.js';
import { API_VERSION, type ItemStatus, type QueueItem } from '../../src-common/api.js';
import { CodedError } from '../common/errors.js';
import { ApiFailure, createDispatcher, type Dispatcher, type DispatcherOptions, type Handlers } from './dispatcher.js';
import { compareItem, previewCrop, thumbnail } from '../services/images.js';
import { deleteModel, exportModel, importModel, listModelInfos } from '../services/models.js';
import type { AppServices } from './services.js';
import { assertImageContent } from '../services/upload-staging.js';
import { pruneUploads, saveUploads, type UploadedFile } from '../services/uploads.js';

const APP_VERSION = '0.1.0';

export function toContractItem(view: QueueItemView): QueueItem {
  const { plan: _plan, ...rest } = view;
  return rest;
}

export function createHandlers(services: AppServices, dispatcherHooks: { modelsChanged(): void } = { modelsChanged: () => {} }): Handlers {
  const { queue, settings, roots } = services;
  const jobSettings = (patch: object | undefined) => ({ ...settings.get().jobDefaults, ...patch });
  const modelFolders = { dirs: services.modelDirs, user: services.userModelsDir };
  const requireWatch = (id: string) => {
    const watch = services.watch.get(id);
    if (!watch) throw new ApiFailure('not_found', `no watch ${id}`);
    return watch;
  };
  const requireItem = (id: string) => {
    const item = queue.get(id);
    if (!item) throw new ApiFailure('not_found', `no queue item ${id}`);
    return item;
  };

  return {
    async 'queue.add'({ paths, settings: patch }) {
      const { items, problems } = await queue.addPaths(paths, jobSettings(patch));
      return { items: items.map(toContractItem), problems };
    },
    async 'upload.begin'({ name, size }) {
      return { uploadId: await services.uploads.begin(name, size) };
    },
    async 'upload.chunk'({ uploadId, offset, dataBase64 }) {
      return { received: await services.uploads.chunk(uploadId, offset, Buffer.from(dataBase64, 'base64')) };
    },
    async 'queue.upload'({ files, settings: patch }) {
      // Uploaded files have no folder of their own the user knows: outputs go to a visible one (Pictures/Subpixel).
      const chosen = jobSettings(patch);
      const outputDir = chosen.outputDir ?? services.uploadsOutputDir();
      const problems: string[] = [];
      const accepted: UploadedFile[] = [];
      for (const f of files) {
        const relDir = f.relDir ? { relDir: f.relDir } : {};
        try {
          if (f.uploadId) {
            accepted.push({ name: f.name, ...relDir, stagedPath: (await services.uploads.take(f.uploadId)).path });
          } else {
            // Inline files pass the same checks as chunked ones: an image by content, within the budget.
            const data = Buffer.from(f.dataBase64 ?? '', 'base64');
            assertImageContent(f.name, data.subarray(0, 64));
            await services.uploads.reserve(f.name, data.length);
            accepted.push({ name: f.name, ...relDir, data });
          }
        } catch (error) {
          // Refused by the per-file checks (not an image, over a limit, an unknown upload): the rest of the drop goes on.
          if (!(error instanceof CodedError)) throw error;
          problems.push(error.message);
        }
      }
      if (!accepted.length) return { items: [], problems };
      await mkdir(outputDir, { recursive: true });
      const written = await saveUploads(services.paths.uploads, accepted);
      const items = await queue.addFiles(written.map((w) => ({ input: w.path, relDir: w.relDir })), { ...chosen, outputDir });
      return { items: items.map(toContractItem), problems };
    },
    async 'queue.list'() {
      return { items: queue.list().map(toContractItem), summary: queue.progress() };
    },
    async 'queue.pause'() {
      await queue.pause();
      return queue.progress();
    },
    async 'queue.resume'() {
      await queue.resume();
      return queue.progress();
    },
    async 'queue.cancel'({ ids }) {
      return { changed: ids ? await queue.cancel(ids) : await queue.cancelAll() };
    },
    async 'queue.retry'({ ids }) {
      return { changed: await queue.retry(ids) };
    },
    async 'queue.reorder'({ id, index }) {
      requireItem(id);
      await queue.move(id, index);
      return { changed: [id] };
    },
    async 'queue.remove'({ ids }) {
      const changed = await queue.remove(ids);
      await pruneUploads(services.paths.uploads, queue.list().map((i) => i.input));
      return { changed };
    },
    async 'queue.clear'({ statuses }) {
      const wanted = statuses ? new Set<ItemStatus>(statuses) : undefined;
      const changed = wanted
        ? await queue.remove(queue.list().filter((i) => wanted.has(i.state)).map((i) => i.id))
        : await queue.clearFinished();
      await pruneUploads(services.paths.uploads, queue.list().map((i) => i.input));
      return { changed };
    },
    async 'queue.compare'({ id, region, whole, frame }) {
      const item = requireItem(id);
      if (item.state !== 'done' || !item.output) throw new ApiFailure('conflict', `${fileNameOf(item.input)} is not finished yet`);
      if (!isVideoInput(item.input)) {
        return { ...(await compareItem(item.input, item.output, item.settings.scale, region, whole ?? false)), scale: item.settings.scale };
      }
      // A video: the same frame of the source and of the output, as PNGs in a scratch folder, compared like stills.
      const { ffmpegPath } = settings.get().engine;
      const count = await frameCount(item.output, ffmpegPath);
      const index = Math.min(frame ?? Math.floor(count / 2), count - 1);
      const dir = join(services.paths.home, 'tmp', `frame-${randomUUID()}`);
      await mkdir(dir, { recursive: true });
      try {
        const [before, after] = [join(dir, 'before.png'), join(dir, 'after.png')];
        await Promise.all([extractFrame(item.input, index, before, ffmpegPath), extractFrame(item.output, index, after, ffmpegPath)]);
        const pair = await compareItem(before, after, item.settings.scale, region, whole ?? false);
        return { ...pair, scale: item.settings.scale, frame: { index, count } };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },

    async 'watch.add'({ folder, settings: patch, ...rest }) {
      return services.watch.add({ folder, settings: jobSettings(patch), ...rest });
    },
    async 'watch.list'() {
      return { watches: services.watch.list() };
    },
    async 'watch.remove'({ id }) {
      requireWatch(id);
      await services.watch.remove(id);
      return {};
    },
    async 'watch.pause'({ id }) {
      requireWatch(id);
      return services.watch.pause(id);
    },
    async 'watch.resume'({ id }) {
      requireWatch(id);
      return services.watch.resume(id);
    },
    async 'watch.update'({ id, patch: { settings: settingsPatch, ...rest } }) {
      const current = requireWatch(id);
      // The service replaces settings as a whole: merge here so a patch changes only the fields it names.
      return services.watch.update(id, { ...rest, ...(settingsPatch ? { settings: { ...current.settings, ...settingsPatch } } : {}) });
    },

    async 'models.list'() {
      return { models: await listModelInfos(modelFolders) };
    },
    async 'models.delete'({ id }) {
      await deleteModel(modelFolders, id);
      dispatcherHooks.modelsChanged();
      return {};
    },
    async 'models.import'({ path }) {
      const info = await importModel(modelFolders, path);
      dispatcherHooks.modelsChanged();
      return info;
    },
    async 'models.export'({ id, folder }) {
      return { path: await exportModel(modelFolders, id, folder) };
    },

    async 'train.start'(input) {
      const { models } = await listModels(services.modelDirs);
      if (!models.some((m) => m.id === input.baseModel)) throw new ApiFailure('not_found', `no base model ${input.baseModel}`);
      return services.training.add(input);
    },
    async 'train.cancel'({ id }) {
      const job = services.training.cancel(id);
      if (!job) throw new ApiFailure('not_found', `no training job ${id}`);
      return job;
    },
    async 'train.resume'({ id }) {
      const job = services.training.resume(id);
      if (!job) throw new ApiFailure('not_found', `no training job ${id}`);
      return job;
    },
    async 'train.remove'({ id }) {
      if (!(await services.training.remove(id))) throw new ApiFailure('not_found', `no training job ${id}`);
      return { removed: true as const };
    },
    async 'train.list'() {
      return { jobs: services.training.list() };
    },

    async 'settings.get'() {
      return settings.get();
    },
    async 'settings.set'({ patch }) {
      return settings.update(patch);
    },

    async 'system.info'(_input, ctx) {
      const [backends, ffmpeg] = await Promise.all([probeBackends(), ffmpegInfo(settings.get().engine.ffmpegPath)]);
      return {
        apiVersion: API_VERSION,
        appVersion: APP_VERSION,
        platform: platform(),
        arch: arch(),
        cpus: cpus().length,
        threads: Math.max(1, cpus().length),
        backends: backends.map((b) => ({ name: b.name, available: b.available, devices: b.devices, ...(b.reason ? { reason: b.reason } : {}) })),
        stateHome: services.paths.home,
        warnings: services.warnings(),
        allowedRoots: roots.list(),
        transport: ctx.transport,
        automaticBackend: automaticBackend(backends),
        defaultOutputDir: defaultOutputFolder(),
        ffmpeg: ffmpeg.available ? { available: true, version: ffmpeg.version, path: ffmpeg.path } : { available: false, reason: ffmpeg.reason },
      };
    },

    async 'preview'({ path, region, model, scale }) {
      const modelId = model ?? (await defaultModelFor(services, scale));
      const { backend, tile } = settings.get().engine;
      const result = await previewCrop(path, region, scale, join(services.paths.home, 'tmp'), (input, output) =>
        services.engine.upscaleFile(input, output, { model: modelId, scale, format: 'png', backend, tile, modelSearchPaths: services.modelDirs }));
      return { ...result, model: modelId };
    },
    async 'files.thumbnail'({ path, size }) {
      return thumbnail(path, size);
    },
    async 'files.open'({ path }) {
      if (!services.shell) throw new ApiFailure('unsupported', 'opening files is up to your browser here: use Open or Download');
      await stat(path).catch(() => { throw new ApiFailure('not_found', `${path} no longer exists`); });
      await services.shell.open(path);
      return {};
    },
    async 'files.reveal'({ path }) {
      if (!services.shell) throw new ApiFailure('unsupported', 'showing files in a folder works in the desktop app only');
      await stat(path).catch(() => { throw new ApiFailure('not_found', `${path} no longer exists`); });
      services.shell.reveal(path);
      return {};
    },
    async 'folders.list'() {
      return { folders: roots.entries() };
    },
    async 'folders.allow'({ path }) {
      const info = await stat(path).catch(() => null);
      if (!info?.isDirectory()) throw new ApiFailure('not_found', `${path} is not a folder on this machine; check the spelling`);
      const real = await roots.add(path, 'settings');
      const entry = roots.entries().find((r) => r.path === real);
      // Kept only when the folder is not already allowed another way (home, --allow).
      if (entry?.source === 'settings') {
        const allowed = settings.get().folders.allowed;
        if (!allowed.includes(real)) await settings.update({ folders: { allowed: [...allowed, real] } });
      }
      return { folders: roots.entries() };
    },
    async 'folders.remove'({ path }) {
      if (!(await roots.remove(path))) throw new ApiFailure('not_found', `${path} was not added in Settings, so it cannot be removed here`);
      const left = new Set(roots.entries().filter((r) => r.source === 'settings').map((r) => r.path));
      await settings.update({ folders: { allowed: settings.get().folders.allowed.filter((p) => left.has(p)) } });
      return { folders: roots.entries() };
    },
    async 'dialog.open'(request, ctx) {
      if (ctx.transport !== 'electron' || !services.pickPaths) {
        throw new ApiFailure('unsupported', 'folder dialogs exist only in the desktop app; type the path instead');
      }
      const paths = await services.pickPaths(request);
      // Choosing a folder in the system dialog is the user's consent to work there.
      for (const path of paths) await roots.add(path, 'dialog');
      return { paths };
    },
  };
}

/**
 * Listens on a typed EventEmitter: the listener's parameters come from the emitter's own event map (named
 * explicitly: TypeScript does not infer it from a subclass), so a payload is never described twice; the store takes
 * the listener off again.
 */
function listenOn<Events extends Record<keyof Events, unknown[]>>(store: DisposableStore, emitter: EventEmitter<Events>) {
  const untyped = emitter as unknown as NodeEventEmitter;
  return <K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): void => {
    const fn = listener as (...args: unknown[]) => void;
    untyped.on(event, fn);
    store.defer(() => { untyped.off(event, fn); });
  };
}

/** Service events → contract events, typed from the emitters' event maps to the contract's payloads. Returns a detach. */
export function forwardServiceEvents(services: AppServices, dispatcher: Dispatcher): () => void {
  const store = new DisposableStore();
  const log = (entry: LogEntry): void => dispatcher.emit('log', entry);

  const queue = listenOn<QueueEvents>(store, services.queue);
  queue('item', (item) => dispatcher.emit('queue.item', { item: toContractItem(item) }));
  queue('removed', (ids) => dispatcher.emit('queue.removed', { ids }));
  queue('order', (ids) => dispatcher.emit('queue.order', { ids }));
  queue('progress', (summary) => dispatcher.emit('queue.progress', { summary }));
  queue('log', log);

  const settings = listenOn<SettingsEvents>(store, services.settings);
  settings('changed', (value) => dispatcher.emit('settings.changed', { settings: value }));
  settings('log', log);

  const watch = listenOn<WatchEvents>(store, services.watch);
  watch('watch', (view) => dispatcher.emit('watch.changed', { watch: view }));
  watch('removed', (id) => dispatcher.emit('watch.removed', { id }));
  watch('activity', (activity) => dispatcher.emit('watch.activity', activity));
  watch('log', log);

  const training = listenOn<TrainingJobEvents>(store, services.training);
  training('changed', (job) => dispatcher.emit('train.changed', { job }));
  training('progress', (progress) => dispatcher.emit('train.progress', progress));
  training('removed', (id) => dispatcher.emit('train.removed', { id }));
  training('log', log);
  training('modelAdded', () => { void announceModels(services, dispatcher); });
  return () => { void store.dispose(); };
}

/** What 'auto' runs on: the first backend in the automatic order with a usable device (select.ts decides the same way). */
export function automaticBackend(statuses: Array<{ name: string; available: boolean; devices: string[] }>): string | null {
  for (const name of backendOrder('auto')) {
    const usable = statuses.find((s) => s.available && (s.name === name || s.name.startsWith(`${name}-`) || s.name.startsWith(`${name} `)));
    if (usable) return usable.name;
  }
  return null;
}

function fileNameOf(path: string): string {
  return basename(path);
}

async function defaultModelFor(services: AppServices, scale: 2 | 3 | 4): Promise<string> {
  const { models } = await listModels(services.modelDirs);
  const found = models.find((m) => m.scale === scale);
  if (!found) throw new ApiFailure('not_found', `no model for ×${scale} is installed; pick another scale or import a model under Models`);
  return found.id;
}

/** A dropped file's name, reduced to one harmless path segment. */
/** Sends the model list after a change (a fine-tune finished, a model was imported or deleted). */
export async function announceModels(services: AppServices, dispatcher: Dispatcher): Promise<void> {
  try {
    dispatcher.emit('models.changed', { models: await listModelInfos({ dirs: services.modelDirs, user: services.userModelsDir }) });
  } catch (error) {
    dispatcher.emit('log', { level: 'warn', source: 'models', message: `cannot list models: ${(error as Error).message}`, time: Date.now() });
  }
}

/**
 * The API of one process: a dispatcher over `services` with service events forwarded to its subscribers.
 * Both transports (WebSocket server, Electron IPC) are built on what this returns.
 */
export function createAppDispatcher(
  services: AppServices, options: Omit<DispatcherOptions, 'handlers' | 'roots'> = {},
): { dispatcher: Dispatcher; detach: () => void } {
  const hooks = { modelsChanged: () => { void announceModels(services, dispatcher); } };
  const dispatcher: Dispatcher = createDispatcher({ ...options, handlers: createHandlers(services, hooks), roots: services.roots });
  const detach = forwardServiceEvents(services, dispatcher);
  return { dispatcher, detach };
}
