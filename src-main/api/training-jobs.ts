import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { thinTrainHistory, type TrainJob, type TrainStartInput } from './contract.js';
import type { TrainProgress } from '../training/trainer.js';

/** One progress report of a fine-tune: the trainer's own (the learning rate is not shown). */
export type FineTuneProgress = Omit<TrainProgress, 'lr'>;

export interface FineTuneOutcome {
  status: 'completed' | 'cancelled';
  id: string;
  before?: { psnr: number; ssim: number };
  after?: { psnr: number; ssim: number };
}

/** Runs one fine-tune to its end (the training module's fineTune, bound to the model folders). */
export type FineTuneRunner = (
  request: { id: string; outDir: string; input: TrainStartInput },
  onProgress: (p: FineTuneProgress) => void,
  signal: AbortSignal,
) => Promise<FineTuneOutcome>;

export interface TrainingJobEvents {
  changed: [job: TrainJob];
  progress: [progress: { jobId: string; step: number; steps: number; loss: number; valPsnr?: number; stepsPerSec: number; etaMs: number | null }];
  /** A fine-tune finished and saved a model. */
  modelAdded: [modelId: string];
}

/** Points kept per job for the loss chart; older ones are thinned so a long run stays cheap to send. */

/**
 * Fine-tune jobs of this process: one runs at a time (training saturates the CPU), others wait in order.
 * Jobs are not persisted; the trainer's own checkpoints are what survives a restart.
 */
export class TrainingJobs extends EventEmitter<TrainingJobEvents> {
  private readonly jobs = new Map<string, TrainJob>();
  private readonly controllers = new Map<string, AbortController>();
  private readonly waiting: Array<{ id: string; input: TrainStartInput }> = [];
  private running: Promise<void> | null = null;

  constructor(private readonly run: FineTuneRunner, private readonly modelsDir: string, private readonly existingIds: () => Promise<string[]>) {
    super();
  }

  list(): TrainJob[] {
    return [...this.jobs.values()].map((j) => structuredClone(j));
  }

  async start(input: TrainStartInput): Promise<TrainJob> {
    const taken = new Set([...(await this.existingIds()), ...[...this.jobs.values()].map((j) => j.id)]);
    const base = slug(input.name);
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    const job: TrainJob = {
      id, name: input.name, baseModel: input.baseModel, status: 'queued', step: 0, steps: input.steps, history: [],
      modelId: null, before: null, after: null, error: null, startedAt: null, finishedAt: null,
    };
    this.jobs.set(id, job);
    this.controllers.set(id, new AbortController());
    this.waiting.push({ id, input });
    this.changed(job);
    this.pump();
    return structuredClone(job);
  }

  /** Cancels a queued or running job; a running one stops at its next step (the trainer checkpoints first). */
  cancel(id: string): TrainJob | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    if (job.status === 'queued') {
      this.waiting.splice(this.waiting.findIndex((w) => w.id === id), 1);
      this.finish(job, 'canceled');
    } else if (job.status === 'running') {
      this.controllers.get(id)?.abort();
    }
    return structuredClone(job);
  }

  /** Cancels everything and waits for the running job to stop. */
  async close(): Promise<void> {
    for (const job of this.jobs.values()) this.cancel(job.id);
    await this.running;
  }

  private pump(): void {
    if (this.running) return;
    const next = this.waiting.shift();
    if (!next) return;
    this.running = this.runJob(next.id, next.input).finally(() => {
      this.running = null;
      this.pump();
    });
  }

  private async runJob(id: string, input: TrainStartInput): Promise<void> {
    const job = this.jobs.get(id)!;
    const signal = this.controllers.get(id)!.signal;
    job.status = 'running';
    job.startedAt = Date.now();
    this.changed(job);
    try {
      const outcome = await this.run({ id, outDir: join(this.modelsDir, id), input }, (p) => this.onProgress(job, p), signal);
      job.before = outcome.before ? { psnr: outcome.before.psnr, ssim: outcome.before.ssim } : null;
      job.after = outcome.after ? { psnr: outcome.after.psnr, ssim: outcome.after.ssim } : null;
      if (outcome.status === 'completed') {
        job.modelId = outcome.id;
        this.finish(job, 'done');
        this.emit('modelAdded', outcome.id);
      } else {
        this.finish(job, 'canceled');
      }
    } catch (error) {
      if (signal.aborted) this.finish(job, 'canceled');
      else this.finish(job, 'failed', error instanceof Error ? error.message : String(error));
    }
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
  }

  private finish(job: TrainJob, status: 'done' | 'failed' | 'canceled', error: string | null = null): void {
    job.status = status;
    job.error = error;
    job.finishedAt = Date.now();
    this.controllers.delete(job.id);
    this.changed(job);
  }

  private changed(job: TrainJob): void {
    this.emit('changed', structuredClone(job));
  }
}

/** A model id from a display name: lower case letters, digits and dashes. */
export function slug(name: string): string {
  const s = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  return s || `model-${randomUUID().slice(0, 8)}`;
}
