import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { classicEspcn, randomWeights } from '../../src-main/engine/models/spec.js';
import { saveModel } from '../../src-main/engine/models/store.js';
import { subpixel } from './fixtures/cli-run.js';



interface Doc { done: Array<{ input: string; output: string }>; skipped: Array<{ input: string }>; failed: unknown[]; shard: { index: number; count: number } }

describe('subpixel upscale --shard', () => {
  const dir = mkdtempSync(join(tmpdir(), 'subpixel-shard-'));
  const env = { SUBPIXEL_HOME: join(dir, 'home'), SUBPIXEL_MODELS_DIR: join(dir, 'no-shipped-models') };
  const model = join(dir, 'random-x2');
  const inputs = join(dir, 'in');
  const names: string[] = [];

  before(async () => {
    await saveModel(model, randomWeights(classicEspcn(2), 5), { id: 'random-x2' });
    mkdirSync(join(inputs, 'sub'), { recursive: true });
    for (let i = 0; i < 7; i++) {
      const name = i < 4 ? `img${i}.png` : join('sub', `img${i}.png`);
      names.push(name);
      await sharp({ create: { width: 12, height: 8, channels: 3, background: { r: 30 * i, g: 100, b: 200 } } }).png().toFile(join(inputs, name));
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('two shards write disjoint halves that together are the whole batch; re-running a shard skips its outputs', async () => {
    const out = join(dir, 'out');
    const args = (shard: string): string[] => ['upscale', inputs, '-o', out, '-s', '2', '-m', model, '--recursive', '--json', '--shard', shard];
    const [one, two] = await Promise.all([subpixel(args('1/2'), env), subpixel(args('2/2'), env)]);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(two.code, 0, two.stderr);
    const a = JSON.parse(one.stdout) as Doc;
    const b = JSON.parse(two.stdout) as Doc;
    assert.deepEqual([a.shard, b.shard], [{ index: 1, count: 2 }, { index: 2, count: 2 }]);
    const mine = a.done.map((d) => relative(inputs, d.input));
    const theirs = b.done.map((d) => relative(inputs, d.input));
    assert.ok(mine.length >= 3 && theirs.length >= 3, `${mine.length} + ${theirs.length}`);
    assert.deepEqual([...mine, ...theirs].sort(), [...names].sort());
    const written = readdirSync(out, { recursive: true }).map(String).filter((f) => f.endsWith('.png')).sort();
    // Outputs are named as the app names them ({name}_x{scale}.{ext}).
    assert.deepEqual(written, names.map((n) => n.replace(/\.png$/, '_x2.png')).sort());

    const again = await subpixel(args('1/2'), env);
    const c = JSON.parse(again.stdout) as Doc;
    assert.equal(again.code, 0);
    assert.equal(c.done.length, 0);
    assert.deepEqual(c.skipped.map((s) => relative(inputs, s.input)).sort(), mine.sort());
  });

  it('--shard auto takes its part from a Slurm array that starts at 1', async () => {
    const out = join(dir, 'out-slurm');
    const parts = await Promise.all([1, 2, 3].map((id) => subpixel(['upscale', inputs, '-o', out, '-s', '2', '-m', model, '--recursive', '--json', '--shard', 'auto'],
      { ...env, SLURM_ARRAY_TASK_ID: String(id), SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '3' })));
    const done = parts.map((p) => (JSON.parse(p.stdout) as Doc).done.map((d) => relative(inputs, d.input)));
    assert.deepEqual(done.map((d) => d.length), [2, 2, 3]);
    assert.deepEqual(done.flat().sort(), [...names].sort());
  });

  it('a bad shard is a usage error that names the problem', async () => {
    const r = await subpixel(['upscale', inputs, '-o', join(dir, 'out-bad'), '-s', '2', '-m', model, '--shard', '3/2'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /k must be between 1 and 2/);
    const auto = await subpixel(['upscale', inputs, '-o', join(dir, 'out-bad'), '-s', '2', '-m', model, '--shard', 'auto'],
      { ...env, JOB_COMPLETION_INDEX: '0', JOB_COMPLETIONS: '', SLURM_ARRAY_TASK_ID: '' });
    assert.equal(auto.code, 2);
    assert.match(auto.stderr, /JOB_COMPLETIONS is not/);
  });
});
