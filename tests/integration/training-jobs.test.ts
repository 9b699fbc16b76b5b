import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { TrainJob, TrainStartInput } from '../../src-common/api.js';
import { openAppServices, type AppServices } from '../../src-main/api/services.js';
import type { LogEntry } from '../../src-main/jobs/types.js';
import { classicEspcn, randomWeights } from '../../src-main/engine/models/spec.js';
import { saveModel } from '../../src-main/engine/models/store.js';

const SAMPLES = new URL('../../resources/samples/', import.meta.url).pathname;

function waitForJob(services: AppServices, id: string, check: (job: TrainJob) => boolean, ms = 90_000): Promise<TrainJob> {
  return new Promise((resolve, reject) => {
    const now = services.training.list().find((j) => j.id === id);
    if (now && check(now)) return resolve(now);
    const timer = setTimeout(() => { services.training.off('changed', onChanged); reject(new Error(`timed out waiting on job ${id}`)); }, ms);
    const onChanged = (job: TrainJob): void => {
      if (job.id !== id || !check(job)) return;
      clearTimeout(timer);
      services.training.off('changed', onChanged);
      resolve(job);
    };
    services.training.on('changed', onChanged);
  });
}

function waitForStep(services: AppServices, id: string, step: number): Promise<number> {
  return new Promise((resolve) => {
    const onProgress = (p: { jobId: string; step: number }): void => {
      if (p.jobId !== id || p.step < step) return;
      services.training.off('progress', onProgress);
      resolve(p.step);
    };
    services.training.on('progress', onProgress);
  });
}

function savedJobs(home: string): Array<{ job: TrainJob }> {
  return (JSON.parse(readFileSync(join(home, 'training-jobs.json'), 'utf8')) as { jobs: Array<{ job: TrainJob }> }).jobs;
}

describe('fine-tune jobs survive restarts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'subpixel-train-jobs-'));
  const home = join(dir, 'home');
  const hr = join(dir, 'hr');
  const input = (name: string, steps: number): TrainStartInput => ({
    name, hrFolders: [hr], baseModel: 'base-x2', degradation: 'bicubic', steps, batchSize: 4, patchSize: 16, valEvery: 1000,
  });
  before(async () => {
    await saveModel(join(home, 'models', 'base-x2'), randomWeights({ ...classicEspcn(2), widths: [16, 8] }, 3), { id: 'base-x2' });
    mkdirSync(hr);
    for (const [i, name] of ['astronaut.png', 'coffee.png', 'chelsea.png'].entries()) {
      await sharp(join(SAMPLES, name)).extract({ left: 50, top: 40, width: 96, height: 96 }).png().toFile(join(hr, `${i}.png`));
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a job running when the app closes is saved as queued and continues from its checkpoint on the next start', async () => {
    const first = await openAppServices({ home, allowHome: false });
    // Long enough that the close lands mid-run: progress comes ten times a second, not every step.
    const job = await first.training.add(input('Film look', 3000));
    const stoppedAt = await waitForStep(first, job.id, 5);
    await first.close();
    const [saved] = savedJobs(home);
    assert.equal(saved!.job.status, 'queued');
    assert.ok(saved!.job.step >= stoppedAt, `saved at step ${saved!.job.step}`);
    assert.ok(existsSync(join(home, 'models', job.id, 'checkpoint', 'checkpoint.json')), 'closing checkpointed the run');

    const logs: LogEntry[] = [];
    const second = await openAppServices({ home, allowHome: false });
    second.training.on('log', (e) => logs.push(e));
    const firstSteps: number[] = [];
    second.training.on('progress', (p) => firstSteps.push(p.step));
    const done = await waitForJob(second, job.id, (j) => j.status === 'done' || j.status === 'failed');
    await second.close();
    assert.equal(done.status, 'done', done.error ?? '');
    assert.equal(done.step, 3000);
    assert.ok(firstSteps[0]! > saved!.job.step, `resumed at ${firstSteps[0]} after stopping at ${saved!.job.step}, not from the start`);
    const steps = done.history.map((h) => h.step);
    assert.deepEqual(steps, [...steps].sort((a, b) => a - b), 'history stays in step order');
    assert.equal(new Set(steps).size, steps.length, 'no step twice in the history');
    assert.ok(existsSync(join(home, 'models', done.modelId!, 'model.json')));
    assert.ok(logs.some((e) => e.source === 'training' && /Film look continues from its last checkpoint/.test(e.message)), JSON.stringify(logs));
  });

  it('a canceled job can be resumed to the end, and dismissed; dismissing an unfinished one deletes its checkpoint', async () => {
    const services = await openAppServices({ home, allowHome: false });
    try {
      const job = await services.training.add(input('Grain', 3000));
      await waitForStep(services, job.id, 3);
      services.training.cancel(job.id);
      const canceled = await waitForJob(services, job.id, (j) => j.status === 'canceled');
      assert.equal(canceled.canResume, true);
      services.training.resume(job.id);
      const done = await waitForJob(services, job.id, (j) => j.status === 'done' || j.status === 'failed');
      assert.equal(done.status, 'done', done.error ?? '');
      assert.equal(done.step, 3000);
      assert.throws(() => services.training.resume(job.id), /cannot be resumed/);

      await services.training.remove(job.id);
      assert.ok(existsSync(join(home, 'models', job.id, 'model.json')), 'the produced model stays');
      assert.ok(!savedJobs(home).some((s) => s.job.id === job.id));

      const other = await services.training.add(input('Abandoned', 5000));
      await waitForStep(services, other.id, 2);
      services.training.cancel(other.id);
      await waitForJob(services, other.id, (j) => j.status === 'canceled');
      assert.ok(existsSync(join(home, 'models', other.id, 'checkpoint')));
      await services.training.remove(other.id);
      assert.ok(!existsSync(join(home, 'models', other.id)), 'the unfinished job left nothing behind');
      assert.ok(!services.training.list().some((j) => j.id === other.id));
    } finally {
      await services.close();
    }
  });

  it('a new job never takes over a leftover folder of the same name', async () => {
    const leftover = join(home, 'models', 'fresh-start', 'checkpoint');
    mkdirSync(leftover, { recursive: true });
    writeFileSync(join(leftover, 'checkpoint.json'), '{"not": "ours"}');
    const services = await openAppServices({ home, allowHome: false });
    try {
      const job = await services.training.add(input('Fresh start', 3));
      assert.equal(job.id, 'fresh-start-2');
      const done = await waitForJob(services, job.id, (j) => j.status === 'done' || j.status === 'failed');
      assert.equal(done.status, 'done', done.error ?? '');
      assert.equal(readFileSync(join(leftover, 'checkpoint.json'), 'utf8'), '{"not": "ours"}', 'the leftover is untouched');
    } finally {
      await services.close();
    }
  });

  it('a jobs file written before the parameters were renamed (version 1) is read with the new names', async () => {
    const oldHome = join(dir, 'old-home');
    mkdirSync(oldHome);
    const job: TrainJob = {
      id: 'old-style', name: 'Old style', baseModel: 'base-x2', status: 'canceled', step: 2, steps: 3, history: [], modelId: null,
      before: null, after: null, error: null, startedAt: 1, finishedAt: 2, canResume: false,
    };
    const oldInput = { name: 'Old style', hrDirs: [hr], validationDir: hr, baseModel: 'base-x2', preset: 'jpeg', steps: 3, learningRate: 0.002 };
    writeFileSync(join(oldHome, 'training-jobs.json'), JSON.stringify({ version: 1, jobs: [{ job, input: oldInput }] }));
    const services = await openAppServices({ home: oldHome, allowHome: false });
    await services.close();
    assert.deepEqual(services.training.list(), [job]);
    const saved = JSON.parse(readFileSync(join(oldHome, 'training-jobs.json'), 'utf8')) as { version: number; jobs: Array<{ input: unknown }> };
    assert.equal(saved.version, 2);
    assert.deepEqual(saved.jobs[0]!.input, {
      name: 'Old style', hrFolders: [hr], valFolder: hr, baseModel: 'base-x2', degradation: 'jpeg', steps: 3, learningRate: 0.002,
    });
  });

  it('an unreadable jobs file is set aside with a warning, not fatal', async () => {
    const badHome = join(dir, 'bad-home');
    mkdirSync(badHome);
    writeFileSync(join(badHome, 'training-jobs.json'), '{"version": 1, "jobs": [{"job": ');
    const services = await openAppServices({ home: badHome, allowHome: false });
    const logs: LogEntry[] = [];
    services.training.on('log', (e) => logs.push(e));
    await new Promise((r) => setImmediate(r));
    await services.close();
    assert.deepEqual(services.training.list(), []);
    assert.ok(logs.some((e) => e.level === 'warn' && /could not be read/.test(e.message)), JSON.stringify(logs));
    assert.ok(!existsSync(join(badHome, 'training-jobs.json')) || savedJobs(badHome).length === 0);
  });
});
