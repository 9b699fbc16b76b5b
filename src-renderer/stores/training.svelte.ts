/** Fine-tune jobs with their loss/PSNR history, updated live from train.progress. */
import type { EventPayload, TrainJob } from '../../src-common/api.js';
import { thinTrainHistory } from '../../src-common/train-history.js';
import { call, on } from '../lib/client.js';

class TrainingStore {
  jobs = $state.raw<TrainJob[]>([]);
  /** Latest speed and ETA per running job. */
  live = $state.raw<Record<string, EventPayload<'train.progress'>>>({});

  start(): () => void {
    const offs = [
      on('train.changed', ({ job }) => this.upsert(job)),
      on('train.removed', ({ id }) => { this.jobs = this.jobs.filter((j) => j.id !== id); }),
      on('train.progress', (p) => {
        this.live = { ...this.live, [p.jobId]: p };
        const job = this.jobs.find((j) => j.id === p.jobId);
        if (!job) return;
        const last = job.history[job.history.length - 1];
        const point = { step: p.step, loss: p.loss, ...(p.valPsnr !== undefined ? { valPsnr: p.valPsnr } : {}) };
        const history = last && last.step === p.step ? [...job.history.slice(0, -1), { ...last, ...point }] : [...job.history, point];
        this.upsert({ ...job, step: p.step, history: thinTrainHistory(history) });
      }),
    ];
    void call('train.list', {}).then(({ jobs }) => { this.jobs = jobs; });
    return () => { for (const off of offs) off(); };
  }

  upsert(job: TrainJob): void {
    const at = this.jobs.findIndex((j) => j.id === job.id);
    this.jobs = at === -1 ? [...this.jobs, job] : this.jobs.with(at, job);
  }

  get current(): TrainJob | undefined {
    return [...this.jobs].reverse().find((j) => j.status === 'running' || j.status === 'queued') ?? this.jobs[this.jobs.length - 1];
  }
}

export const training = new TrainingStore();
