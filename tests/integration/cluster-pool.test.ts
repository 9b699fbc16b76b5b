import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { classicEspcn, randomWeights } from '../../src-main/engine/models/spec.js';
import { saveModel } from '../../src-main/engine/models/store.js';
import { redisMissing, startRedis, type TestRedis } from './redis-harness.js';

const BIN = new URL('../../bin/subpixel.js', import.meta.url).pathname;
const IMAGES = 300;

interface Proc { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> }

function start(args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function until(what: string, check: () => boolean, timeoutMs = 240_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Inputs a worker's log reports done ("done    <input> -> <output> …"). */
const doneInputs = (log: string): string[] => [...log.matchAll(/^done {4}(\S+) -> /gm)].map((m) => m[1]);

describe('worker pool on Redis', { skip: redisMissing }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'subpixel-pool-'));
  const shared = join(dir, 'shared'); // the "shared storage" every worker is allowed to use
  const inputs = join(shared, 'in');
  const out = join(shared, 'out');
  const model = join(shared, 'models', 'tiny-x2');
  const env = { SUBPIXEL_HOME: join(dir, 'home'), SUBPIXEL_MODELS_DIR: join(dir, 'no-shipped-models') };
  let redis: TestRedis;
  const procs: Proc[] = [];

  before(async () => {
    redis = await startRedis();
    // The smallest ESPCN (a few hundred MACs per pixel) on 24x16 images: the test is about the pool, not the engine.
    await saveModel(model, randomWeights(classicEspcn(2), 7), { id: 'tiny-x2' });
    for (let i = 0; i < IMAGES; i++) {
      const folder = join(inputs, `part${i % 3}`);
      mkdirSync(folder, { recursive: true });
      await sharp({ create: { width: 24, height: 16, channels: 3, background: { r: i % 256, g: (i * 7) % 256, b: 90 } } })
        .png().toFile(join(folder, `img${String(i).padStart(3, '0')}.png`));
    }
    writeFileSync(join(inputs, 'part0', 'corrupt.png'), 'not a png at all');
  });
  after(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('three workers, one SIGKILLed mid-run, a producer killed and restarted: every image upscaled exactly once, the corrupt one failed alone', async () => {
    const worker = (): Proc => {
      const p = start(['worker', '--redis', redis.url, '--allow', shared, '--concurrency', '2', '--stalled-after', '2'], env);
      procs.push(p);
      return p;
    };
    const workers = [worker(), worker(), worker()];
    await until('three workers ready', () => workers.every((w) => w.stderr().includes('ready on')));

    const producerArgs = ['upscale', inputs, '-o', out, '-s', '2', '-m', model, '--recursive', '--redis', redis.url];
    const first = start(producerArgs, env);
    procs.push(first);
    await until('the batch submitted', () => /submitted batch \w+/.test(first.stderr()));
    const batchId = /submitted batch (\w+)/.exec(first.stderr())![1];

    // Kill one worker with jobs in hand, and the producer, while the batch runs.
    const victim = workers[0];
    await until('the first worker to get going', () => doneInputs(victim.stdout()).length >= 15);
    victim.child.kill('SIGKILL');
    first.child.kill('SIGKILL');
    await Promise.all([victim.exited, first.exited]);
    const doneByVictim = doneInputs(victim.stdout());
    assert.ok(doneByVictim.length < IMAGES, 'the victim was killed mid-run');

    // The same command again follows the batch it submitted.
    const second = start([...producerArgs, '--json'], env);
    procs.push(second);
    const code = await second.exited;
    assert.equal(code, 1, `one input failed: exit 1 as for a local run\n${second.stderr()}`);
    const doc = JSON.parse(second.stdout()) as {
      batch: string;
      done: Array<{ input: string; output: string; worker: string }>;
      failed: Array<{ input: string; error: string }>;
      skipped: unknown[];
    };
    assert.equal(doc.batch, batchId, 'the restarted producer re-attached to its batch');
    assert.deepEqual(doc.failed.map((f) => basename(f.input)), ['corrupt.png']);
    assert.match(doc.failed[0].error, /not an image/);
    assert.equal(doc.skipped.length, 0);
    assert.equal(doc.done.length, IMAGES);
    assert.equal(new Set(doc.done.map((d) => d.input)).size, IMAGES, 'each input once');
    assert.equal(new Set(doc.done.map((d) => d.output)).size, IMAGES, 'each output once');

    // On disk: exactly one complete output per input, no temp file anywhere.
    const files = readdirSync(out, { recursive: true }).map(String).filter((f) => !f.startsWith('part') || f.includes('/'));
    assert.deepEqual(files.filter((f) => f.includes('subpixel-tmp')), []);
    const pngs = files.filter((f) => f.endsWith('.png')).sort();
    assert.equal(pngs.length, IMAGES);
    assert.ok(pngs.every((f) => /^part\d\/img\d{3}_x2\.png$/.test(f)), 'no second copy under another name');
    for (const f of pngs) {
      const meta = await sharp(join(out, f)).metadata();
      assert.deepEqual([meta.width, meta.height], [48, 32], f);
    }

    // Exactly once. What the killed worker completed is what Redis recorded as its result (its last log lines may be
    // lost with it); the survivors' logs are whole. No job the killed worker finished ran again elsewhere, no job ran
    // twice on the survivors, and together they account for every image: only the jobs it held when it died ran again.
    const victimName = `:${victim.child.pid}`;
    const byVictim = doc.done.filter((d) => d.worker.endsWith(victimName)).map((d) => d.input);
    assert.ok(byVictim.length >= doneByVictim.length, 'every job the victim logged done is recorded as its result');
    const survivors = workers.slice(1).flatMap((w) => doneInputs(w.stdout()));
    assert.equal(new Set(survivors).size, survivors.length, 'no input finished twice by the survivors');
    assert.deepEqual(byVictim.filter((input) => survivors.includes(input)), [], 'a finished job is never run again');
    assert.equal(survivors.length + byVictim.length, IMAGES, 'every image ran to completion once');

    for (const w of workers.slice(1)) w.child.kill('SIGTERM');
    const codes = await Promise.all(workers.slice(1).map((w) => w.exited));
    assert.deepEqual(codes, [0, 0], 'SIGTERM stops a worker cleanly');
    assert.match(workers[1].stderr(), /worker stopped/);
  });
});
