import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../common/atomic-write.js';
import { CodedError } from '../common/errors.js';
import { createMutex } from '../common/mutex.js';
import { CHECKPOINT_JSON } from '../training/checkpoint.js';
import type { LogEntry } from '../jobs/types.js';
import type { TrainProgress } from '../training/trainer.js';
import { thinTrainHistory } from '../../src-common/train-history.js';
import type { EventPayload } from '../../src-common/api.js';
import { TrainJob, TrainStartInput } from '../../src-common/training.js';
import { stickyNotes } from '../common/sticky-log.js';

/** One progress report of a fine-tune: the trainer's own (the learning rate is not shown). */
export type FineTuneProgress = Omit<TrainProgress, 'lr'>;

export interface FineTuneOutcome {
  status: 'completed' | 'canceled';
  id: string;
  before?: { psnr: number; ssim: number };
  /** The kept (best-validating) model's score and the step it was measured at. */
  after?: { psnr: number; ssim: number; step?: number };
}

/** Runs one fine-tune to its end (the training module's fineTune, bound to the model folders). */
export type FineTuneRunner = (
  request: { id: string; outDir: string; input: TrainStartInput; /** Checkpoint folder to continue from. */ resume?: string },
  onProgress: (p: FineTuneProgress) => void,
  signal: AbortSignal,
) => Promise<FineTuneOutcome>;

export interface TrainingJobEvents {
  changed: [job: TrainJob];
  removed: [id: string];
  progress: [progress: EventPayload<'train.progress'>];
  /** A fine-tune finished and saved a model. */
  modelAdded: [modelId: string];
  log: [entry: LogEntry];
}

export interface TrainingJobsOptions {
  run: FineTuneRunner;
  /** Each job trains into <modelsDir>/<job id> (its checkpoint/ sub-folder included). */
  modelsDir: string;
  /** Model ids already taken, so a new job's id does not collide. */
  existingIds: () => Promise<string[]>;
  /** Where the jobs are saved, so that a restart finds them and continues the unfinished ones; absent = memory only. */
  statePath?: string;
  /** Run the jobs restored from the state file at once (default true); else on `start()` or the next add/resume. */
  autoStart?: boolean;
}

const SAVED_JOBS_VERSION = 2;
const SavedJobs = z.object({
  version: z.literal(SAVED_JOBS_VERSION),
  jobs: z.array(z.object({ job: TrainJob, input: TrainStartInput })),
});

/**
 * Files of version 1 named three parameters differently (hrDirs, validationDir, preset); version 2 uses the one
 * vocabulary (hrFolders, valFolder, degradation). Anything else is left for the schema to judge.
 */
export function upgradeSavedJobs(raw: unknown): unknown {
  const file = raw as { version?: unknown; jobs?: unknown } | null;
  if (file?.version !== 1 || !Array.isArray(file.jobs)) return raw;
  const jobs = file.jobs.map((entry: { job?: unknown; input?: Record<string, unknown> }) => {
    const { hrDirs, validationDir, preset, ...rest } = entry.input ?? {};
    const input = { ...rest, hrFolders: hrDirs, degradation: preset, ...(validationDir === undefined ? {} : { valFolder: validationDir }) };
    return { job: entry.job, input };
  });
  return { version: SAVED_JOBS_VERSION, jobs };
}

/** A request that the job's state forbids (resume a running job, remove a queued one…). */
export class TrainingJobStateError extends CodedError {
  override readonly name = 'TrainingJobStateError';
  constructor(message: string) {
    super('conflict', message);
  }
}

/** How often a running job's progress (its loss history) is saved; status changes are saved at once. */
const SAVE_PROGRESS_MS = 5_000;

/**
 * Fine-tune jobs: one runs at a time (training saturates the CPU), others wait in order. With a state file, jobs
 * survive restarts: closing the app (or a crash) leaves a running job queued, and the next start continues it from its
 * last checkpoint; a canceled or failed job that left a checkpoint can be resumed on request.
 */
export class TrainingJobs extends EventEmitter<TrainingJobEvents> {
  /** Each job with the request that started it (what a resumed or restored run needs again). */
  private readonly entries = new Map<string, { job: TrainJob; input: TrainStartInput }>();
  private readonly controllers = new Map<string, AbortController>();
  private readonly waiting: string[] = [];
  private running: Promise<void> | null = null;
  private started = false;
  private closing = false;
  private readonly saves = createMutex();
  private lastSave = 0;

  private constructor(private readonly options: TrainingJobsOptions) {
    super();
  }

  static async open(options: TrainingJobsOptions): Promise<TrainingJobs> {
    const jobs = new TrainingJobs(options);
    const notes = await jobs.restore();
    // Listeners attach after open returns: each gets what was restored when it attaches (see common/sticky-log.ts).
    const sticky = stickyNotes<LogEntry>(jobs, 'log');
    for (const [level, message] of notes) sticky.add({ level, source: 'training', message, time: Date.now() });
    if (options.autoStart !== false) jobs.start();
    return jobs;
  }

  /** Starts running waiting jobs (a no-op once started). */
  start(): void {
    this.started = true;
    this.pump();
  }

  list(): TrainJob[] {
    return [...this.entries.values()].map(({ job }) => structuredClone(job));
  }

  async add(input: TrainStartInput): Promise<TrainJob> {
    // Folder names count too: a leftover folder (say, a checkpoint whose job is gone) must not be mistaken for this
    // job's own checkpoint.
    const folders = await readdir(this.options.modelsDir).catch(() => [] as string[]);
    const taken = new Set([...(await this.options.existingIds()), ...this.entries.keys(), ...folders]);
    const base = slug(input.name);
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    const job: TrainJob = {
      id, name: input.name, baseModel: input.baseModel, status: 'queued', step: 0, steps: input.steps, history: [],
      modelId: null, before: null, after: null, error: null, startedAt: null, finishedAt: null, canResume: false,
    };
    this.entries.set(id, { job, input });
    this.enqueue(job);
    return structuredClone(job);
  }

  /** Cancels a queued or running job; a running one stops at its next step (the trainer checkpoints first). */
  cancel(id: string): TrainJob | undefined {
    const job = this.entries.get(id)?.job;
    if (!job) return undefined;
    if (job.status === 'queued') {
      this.waiting.splice(this.waiting.indexOf(id), 1);
      this.finish(job, 'canceled');
    } else if (job.status === 'running') {
      this.controllers.get(id)?.abort();
    }
    return structuredClone(job);
  }

  /** Queues a canceled or failed job again, to continue from its checkpoint. */
  resume(id: string): TrainJob | undefined {
    const job = this.entries.get(id)?.job;
    if (!job) return undefined;
    if (!job.canResume || (job.status !== 'canceled' && job.status !== 'failed')) {
      throw new TrainingJobStateError(`training job ${id} cannot be resumed (${job.status}${job.canResume ? '' : ', no checkpoint'})`);
    }
    Object.assign(job, { status: 'queued', error: null, finishedAt: null, canResume: false } satisfies Partial<TrainJob>);
    this.enqueue(job);
    return structuredClone(job);
  }

  /** Forgets a finished job; one that produced no model also loses its folder (its checkpoint). */
  async remove(id: string): Promise<boolean> {
    const job = this.entries.get(id)?.job;
    if (!job) return false;
    if (job.status === 'queued' || job.status === 'running') throw new TrainingJobStateError(`training job ${id} is ${job.status}: cancel it first`);
    this.entries.delete(id);
    if (!job.modelId) await rm(this.outDir(id), { recursive: true, force: true });
    this.emit('removed', id);
    await this.save();
    return true;
  }

  /** Stops the running job (it checkpoints) and keeps it queued, with the waiting ones, for the next start. */
  async close(): Promise<void> {
    this.closing = true;
    for (const controller of this.controllers.values()) controller.abort();
    await this.running;
    await this.save();
  }

  private outDir(id: string): string {
    return join(this.options.modelsDir, id);
  }

  private checkpointDir(id: string): string {
    return join(this.outDir(id), 'checkpoint');
  }

  private hasCheckpoint(id: string): boolean {
    return existsSync(join(this.checkpointDir(id), CHECKPOINT_JSON));
  }

  /** Queues a job the user asked for; that request also starts the runner. */
  private enqueue(job: TrainJob): void {
    this.started = true;
    this.controllers.set(job.id, new AbortController());
    this.waiting.push(job.id);
    this.changed(job);
    this.pump();
  }

  private pump(): void {
    if (this.running || !this.started || this.closing) return;
    const next = this.waiting.shift();
    if (next === undefined) return;
    this.running = this.runJob(next).finally(() => {
      this.running = null;
      this.pump();
    });
  }

  private async runJob(id: string): Promise<void> {
    const { job, input } = this.entries.get(id)!;
    const signal = this.controllers.get(id)!.signal;
    // Only a job that ran before continues from a checkpoint; a new one starts from its base model.
    const resume = job.startedAt !== null && this.hasCheckpoint(id) ? this.checkpointDir(id) : undefined;
    job.status = 'running';
    job.startedAt ??= Date.now();
    this.changed(job);
    let firstReport = true;
    const onProgress = (p: FineTuneProgress): void => {
      // Steps after the checkpoint a resumed run starts from were lost with the stop: drop them from the chart.
      if (firstReport) job.history = job.history.filter((h) => h.step < p.step);
      firstReport = false;
      this.onProgress(job, p);
    };
    try {
      const outcome = await this.options.run({ id, outDir: this.outDir(id), input, ...(resume ? { resume } : {}) }, onProgress, signal);
      if (outcome.before) job.before ??= { psnr: outcome.before.psnr, ssim: outcome.before.ssim };
      job.after = outcome.after
        ? { psnr: outcome.after.psnr, ssim: outcome.after.ssim, ...(outcome.after.step !== undefined ? { step: outcome.after.step } : {}) }
        : null;
      if (outcome.status === 'completed') {
        job.modelId = outcome.id;
        this.finish(job, 'done');
        this.emit('modelAdded', outcome.id);
      } else {
        this.stopped(job);
      }
    } catch (error) {
      if (signal.aborted) this.stopped(job);
      else this.finish(job, 'failed', error instanceof Error ? error.message : String(error));
    }
  }

  /** A run that ended on its abort signal: canceled by the user, or interrupted by close() and so still queued. */
  private stopped(job: TrainJob): void {
    if (!this.closing) {
      this.finish(job, 'canceled');
      return;
    }
    job.status = 'queued';
    this.controllers.delete(job.id);
    this.changed(job);
  }

  private onProgress(job: TrainJob, p: FineTuneProgress): void {
    job.step = p.step;
    job.steps = p.totalSteps;
    // A validation score belongs to the step it was measured at, not to every step after it.
    const measured = p.val && p.val.step === p.step ? { valPsnr: p.val.psnr } : {};
    job.history.push({ step: p.step, loss: p.loss, ...measured });
    job.history = thinTrainHistory(job.history);
    this.emit('progress', {
      jobId: job.id, step: p.step, steps: p.totalSteps, loss: p.loss, ...measured,
      stepsPerSec: p.stepsPerSec, etaMs: Number.isFinite(p.etaSec) ? Math.max(0, p.etaSec * 1000) : null,
    });
    if (Date.now() - this.lastSave >= SAVE_PROGRESS_MS) void this.save().catch(() => undefined);
  }

  private finish(job: TrainJob, status: 'done' | 'failed' | 'canceled', error: string | null = null): void {
    job.status = status;
    job.error = error;
    job.finishedAt = Date.now();
    job.canResume = status !== 'done' && this.hasCheckpoint(job.id);
    this.controllers.delete(job.id);
    this.changed(job);
  }

  private changed(job: TrainJob): void {
    this.emit('changed', structuredClone(job));
    void this.save().catch((error: unknown) => {
      this.log('error', `could not save training jobs: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  /** Writes every job, in order, with what it needs to run again; saves never overlap. */
  private save(): Promise<void> {
    const path = this.options.statePath;
    if (!path) return Promise.resolve();
    this.lastSave = Date.now();
    return this.saves.run(async () => {
      const jobs = [...this.entries.values()];
      await writeFileAtomic(path, `${JSON.stringify({ version: SAVED_JOBS_VERSION, jobs } satisfies z.infer<typeof SavedJobs>)}\n`);
    });
  }

  private log(level: LogEntry['level'], message: string): void {
    this.emit('log', { level, source: 'training', message, time: Date.now() });
  }

  /** Loads the saved jobs; returns what to report about them. */
  private async restore(): Promise<Array<[LogEntry['level'], string]>> {
    const path = this.options.statePath;
    if (!path || !existsSync(path)) return [];
    let saved: z.infer<typeof SavedJobs>;
    try {
      saved = SavedJobs.parse(upgradeSavedJobs(JSON.parse(await readFile(path, 'utf8'))));
    } catch (error) {
      const aside = `${path}.unreadable-${Date.now()}`;
      await rename(path, aside);
      const problem = error instanceof Error ? error.message.split('\n')[0] : String(error);
      return [['warn', `training jobs file ${path} could not be read (${problem}); kept it as ${aside}`]];
    }
    const notes: Array<[LogEntry['level'], string]> = [];
    for (const { job, input } of saved.jobs) {
      this.entries.set(job.id, { job, input });
      // A job that was running when the app stopped (closed or crashed) continues where its checkpoint left it.
      if (job.status === 'running' || job.status === 'queued') {
        job.status = 'queued';
        this.controllers.set(job.id, new AbortController());
        this.waiting.push(job.id);
        notes.push(['info', `fine-tune ${job.name} continues from ${this.hasCheckpoint(job.id) ? 'its last checkpoint' : 'the start'}`]);
      }
    }
    return notes;
  }
}

/** A model id from a display name: lower case letters, digits and dashes. */
export function slug(name: string): string {
  const s = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  return s || `model-${randomUUID().slice(0, 8)}`;
}
