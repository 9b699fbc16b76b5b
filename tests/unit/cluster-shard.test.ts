import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseShardSpec, resolveShard, selectShard, shardFromEnv } from '../../src-main/cluster/shard.js';
import type { InputFile } from '../../src-main/jobs/expand.js';

/** 37 files under two input folders (nested, with a name that exists in both) plus two files given directly. */
function batch(root: string): InputFile[] {
  const files: InputFile[] = [];
  for (let i = 0; i < 20; i++) files.push({ input: join(root, 'a', i % 3 ? 'sub' : '', `f${i}.png`), relDir: i % 3 ? 'sub' : '' });
  for (let i = 0; i < 15; i++) files.push({ input: join(root, 'b', `f${i}.jpg`), relDir: '' });
  files.push({ input: join(root, 'a', 'f0.png').replace('/a/', '/c/'), relDir: '' }); // same relative name as a/f0.png
  files.push({ input: join(root, 'loose', 'zz.webp'), relDir: '' });
  return files;
}
const rel = (f: InputFile): string => join(f.relDir, f.input.split('/').pop()!);

describe('shard selection', () => {
  it('for n = 1…5 the shards are disjoint, cover every input, and differ in size by at most one', () => {
    const files = batch('/mnt/shared');
    for (let n = 1; n <= 5; n++) {
      const parts = Array.from({ length: n }, (_, k) => selectShard(files, { index: k + 1, count: n }));
      const seen = parts.flat();
      assert.equal(seen.length, files.length, `n=${n}: every file once`);
      assert.equal(new Set(seen).size, files.length, `n=${n}: no file in two shards`);
      const sizes = parts.map((p) => p.length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `n=${n}: sizes ${sizes.join(',')}`);
    }
  });

  it('is the same on every machine: other mount point, other command-line file order', () => {
    const here = batch('/mnt/shared');
    const there = batch('/data/nfs/project');
    // A shell glob sorts by locale; the split must not depend on it: reverse the files given directly.
    const reordered = [...there.slice(0, 35).reverse(), ...there.slice(35)];
    for (let k = 1; k <= 4; k++) {
      assert.deepEqual(selectShard(here, { index: k, count: 4 }).map(rel), selectShard(reordered, { index: k, count: 4 }).map(rel));
    }
  });

  it('more shards than files leaves some shards empty, never duplicates', () => {
    const files = batch('/x').slice(0, 3);
    const parts = Array.from({ length: 5 }, (_, k) => selectShard(files, { index: k + 1, count: 5 }));
    assert.equal(parts.flat().length, 3);
    assert.equal(parts.filter((p) => p.length === 0).length, 2);
  });
});

describe('shard specs', () => {
  it('parses k/n and rejects bad values with the reason', () => {
    assert.deepEqual(parseShardSpec('2/8'), { index: 2, count: 8 });
    assert.deepEqual(parseShardSpec(' 1 / 1 '), { index: 1, count: 1 });
    assert.throws(() => parseShardSpec('0/4'), /k must be between 1 and 4/);
    assert.throws(() => parseShardSpec('5/4'), /k must be between 1 and 4/);
    assert.throws(() => parseShardSpec('1/0'), /n must be at least 1/);
    assert.throws(() => parseShardSpec('half'), /must be k\/n/);
    assert.throws(() => parseShardSpec('-1/3'), /must be k\/n/);
  });

  it('auto reads a Kubernetes Indexed Job (0-based index)', () => {
    assert.deepEqual(shardFromEnv({ JOB_COMPLETION_INDEX: '0', JOB_COMPLETIONS: '3' }), { index: 1, count: 3, source: 'Kubernetes index 0 of 3' });
    assert.equal(resolveShard('auto', { JOB_COMPLETION_INDEX: '2', JOB_COMPLETIONS: '3' }).index, 3);
    assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: '1' }), /JOB_COMPLETIONS is not/);
    assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: '3', JOB_COMPLETIONS: '3' }), /not below JOB_COMPLETIONS 3/);
    assert.throws(() => shardFromEnv({ JOB_COMPLETION_INDEX: 'x', JOB_COMPLETIONS: '3' }), /not a number/);
  });

  it('auto reads a Slurm array, whatever its first id and step', () => {
    const slurm = (id: number, min: number, count: number, step?: number) => shardFromEnv({
      SLURM_ARRAY_TASK_ID: String(id), SLURM_ARRAY_TASK_MIN: String(min), SLURM_ARRAY_TASK_COUNT: String(count),
      ...(step ? { SLURM_ARRAY_TASK_STEP: String(step) } : {}),
    });
    assert.deepEqual([slurm(0, 0, 4).index, slurm(3, 0, 4).index], [1, 4]);
    assert.deepEqual([slurm(1, 1, 4).index, slurm(4, 1, 4).index], [1, 4]); // --array=1-4
    assert.deepEqual([slurm(10, 10, 3, 5).index, slurm(20, 10, 3, 5).index], [1, 3]); // --array=10-20:5
    assert.throws(() => slurm(5, 1, 4), /past the array's 4 tasks/);
    assert.throws(() => slurm(12, 10, 3, 5), /not in the array/);
    assert.throws(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: '1' }), /SLURM_ARRAY_TASK_COUNT is not/);
  });

  it('auto without a scheduler says which variables it looked for', () => {
    assert.throws(() => resolveShard('auto', {}), /JOB_COMPLETION_INDEX.*SLURM_ARRAY_TASK_ID/);
  });
});
