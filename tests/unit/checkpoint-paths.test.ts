import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { test } from 'node:test';
import { CHECKPOINT_JSON, loadCheckpoint, saveCheckpoint, type CheckpointState } from '../../src-main/training/checkpoint.js';
import { DEFAULT_CONFIG } from '../../src-main/training/trainer.js';
import { architectureFor } from '../../src-main/training/architectures.js';
import { needsShared, REPO, sharedPath } from '../paths.js';

function tinyState(hrFolders: string[], valFolder: string, baseModel: string): CheckpointState {
  const spec = architectureFor('efficient', 2, 1, [4]);
  const data = new Float32Array([1, 2, 3, 4]);
  return {
    config: { ...DEFAULT_CONFIG, spec, kind: 'plain', hrFolders, valFolder, baseModel },
    step: 7, rng: [1, 2, 3, 4] as unknown as CheckpointState['rng'], elapsedSec: 1, startedAt: '2026-12-06T00:00:00.000Z', commands: ['x'],
    history: [], weights: { spec, kind: 'plain', tensors: { 'l0.kernel': { shape: [4], data } } },
    adam: { t: 7, m: { 'l0.kernel': data }, v: { 'l0.kernel': data } },
  };
}

/** Every string in a JSON document that is an absolute path of some machine. */
function absolutePaths(value: unknown, found: string[] = []): string[] {
  if (typeof value === 'string') {
    if (isAbsolute(value) || /^[A-Za-z]:[\\/]/.test(value) || /(^|\s)\/(work|home|tmp|root|Users)\//.test(value)) found.push(value);
  } else if (Array.isArray(value)) for (const v of value) absolutePaths(v, found);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) absolutePaths(v, found);
  return found;
}

test('a checkpoint stores its folders relative to itself, resumes with them absolute, and still does after the tree moves', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'subpixel-ckpt-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const tree = join(root, 'checkout');
  const checkpoint = join(tree, 'models', 'm-x2', 'checkpoint');
  const hr = [join(root, 'shared', 'datasets', 'train', 't91'), join(root, 'shared', 'datasets', 'train', 'bsd200')];
  await mkdir(checkpoint, { recursive: true });
  await saveCheckpoint(checkpoint, tinyState(hr, join(root, 'shared', 'datasets', 'eval', 'Set5', 'HR'), join(tree, 'models', 'base-x2')));

  const json = JSON.parse(await readFile(join(checkpoint, CHECKPOINT_JSON), 'utf8')) as { config: { hrFolders: string[]; valFolder: string; baseModel: string } };
  assert.deepEqual(absolutePaths(json), []);
  assert.deepEqual(json.config.hrFolders, ['../../../../shared/datasets/train/t91', '../../../../shared/datasets/train/bsd200']);
  assert.equal(json.config.valFolder, '../../../../shared/datasets/eval/Set5/HR');
  assert.equal(json.config.baseModel, '../../base-x2');

  const loaded = await loadCheckpoint(checkpoint);
  assert.deepEqual(loaded.config.hrFolders, hr);
  assert.equal(loaded.config.baseModel, join(tree, 'models', 'base-x2'));
  assert.equal(loaded.step, 7);

  // The same checkout and its ../shared somewhere else: the checkpoint follows.
  const moved = join(tmpdir(), `subpixel-ckpt-moved-${process.pid}`);
  await rename(root, moved);
  t.after(() => rm(moved, { recursive: true, force: true }));
  const again = await loadCheckpoint(join(moved, 'checkout', 'models', 'm-x2', 'checkpoint'));
  assert.deepEqual(again.config.hrFolders, [join(moved, 'shared', 'datasets', 'train', 't91'), join(moved, 'shared', 'datasets', 'train', 'bsd200')]);

  // A base model given by id is not a path and stays as it is; checkpoints from before keep their absolute folders.
  const byId = join(moved, 'by-id');
  await saveCheckpoint(byId, tinyState(['/abs/hr'], '/abs/val', 'efficient-x2'));
  const byIdJson = JSON.parse(await readFile(join(byId, CHECKPOINT_JSON), 'utf8')) as { config: { baseModel: string } };
  assert.equal(byIdJson.config.baseModel, 'efficient-x2');
  assert.equal((await loadCheckpoint(byId)).config.baseModel, 'efficient-x2');
});

test('committed checkpoints name no absolute path', () => {
  // The files git tracks (a training running in this checkout may be writing an uncommitted one); without git, all.
  let files: string[];
  try {
    files = execFileSync('git', ['ls-files', '-z', '--', 'models'], { cwd: REPO, encoding: 'utf8' }).split('\0')
      .filter((f) => f.endsWith(`/${CHECKPOINT_JSON}`)).map((f) => join(REPO, f));
  } catch {
    files = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir)) {
        const full = join(dir, entry);
        if (statSync(full).isDirectory()) walk(full);
        else if (entry === CHECKPOINT_JSON) files.push(full);
      }
    };
    walk(join(REPO, 'models'));
  }
  assert.ok(files.length > 0, 'found the committed checkpoints');
  const found = files.flatMap((file) => absolutePaths(JSON.parse(readFileSync(file, 'utf8'))).map((path) => `${file.slice(REPO.length + 1)}: ${path}`));
  assert.deepEqual(found, [], 'run `node --import tsx scripts/portable-checkpoints.ts` to make them relative');
});

test('a committed checkpoint resolves its data folders in this checkout', { skip: needsShared('datasets/train/t91', 'datasets/eval/Set5') }, async () => {
  const state = await loadCheckpoint(join(REPO, 'models', 'efficient-x2', 'checkpoint'));
  assert.deepEqual(state.config.hrFolders, [sharedPath('datasets', 'train', 't91'), sharedPath('datasets', 'train', 'bsd200')]);
  assert.ok(state.config.hrFolders.every((f) => statSync(f).isDirectory()));
  assert.equal(state.config.valFolder, sharedPath('datasets', 'eval', 'Set5', 'HR'));
});

test('a test that needs ../shared says which folder in one line', () => {
  assert.equal(needsShared('.'), false);
  const reason = needsShared('datasets/no-such-set');
  assert.ok(typeof reason === 'string' && !reason.includes('\n'));
  assert.match(reason, /^needs \.\.\/shared\/datasets\/no-such-set beside the checkout/);
});
