/** Issue 18, item 11: `finetune --id` never overwrites a model silently, and two fine-tunes never share a folder. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { saveTinyModel, startCli, stopCli, tempDir, waitFor, writeImage } from './helpers.js';

describe('finetune --id of an existing model', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let base: string;
  let hr: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    dir = await tempDir('finetune');
    base = await saveTinyModel(join(dir.path, 'base'));
    hr = join(dir.path, 'hr');
    for (let i = 0; i < 6; i++) await writeImage(join(hr, `hr${i}.png`), i + 1, 64, 64);
    env = { SUBPIXEL_HOME: join(dir.path, 'home') };
  });
  after(() => dir.cleanup());

  const finetune = (id: string, steps: number, extra: string[] = []) =>
    startCli(['finetune', '--base', base, '--hr', hr, '--steps', String(steps), '--patch', '16', '--batch', '2', '--id', id, '--backend', 'onnx', ...extra], env);
  const modelDir = (id: string): string => join(dir.path, 'home', 'models', id);

  it('is refused without --overwrite (the model stays as it was) and replaced with it', { timeout: 300_000 }, async () => {
    const first = finetune('mine', 2);
    assert.equal((await first.exited).code, 0, first.stderr());
    const written = readFileSync(join(modelDir('mine'), 'model.json'), 'utf8');

    const again = finetune('mine', 2);
    assert.equal((await again.exited).code, 2, again.stderr());
    assert.match(again.stderr(), /model mine already exists in .*pass --overwrite to replace it/);
    assert.equal(readFileSync(join(modelDir('mine'), 'model.json'), 'utf8'), written, 'the refused run changed nothing');

    const replaced = finetune('mine', 2, ['--overwrite']);
    assert.equal((await replaced.exited).code, 0, replaced.stderr());
    assert.ok(existsSync(join(modelDir('mine'), 'model.json')));
  });

  it('a second fine-tune with the same id while the first runs is refused (a lock per model folder)', { timeout: 300_000 }, async () => {
    const first = finetune('shared', 100_000);
    try {
      await waitFor(() => existsSync(join(modelDir('shared'), '.subpixel-writing.lock')), 'the first run to lock its folder', 120_000);
      const second = finetune('shared', 2, ['--overwrite']);
      assert.equal((await second.exited).code, 2, second.stderr());
      assert.match(second.stderr(), /another fine-tune is writing the model folder .*shared/);
    } finally {
      await stopCli(first, 'SIGINT');
    }
    await waitFor(() => !existsSync(join(modelDir('shared'), '.subpixel-writing.lock')), 'the lock released on exit', 30_000);
  });
});
