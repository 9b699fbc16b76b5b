import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { openAppServices } from '../../src-main/api/services.js';
import { moveLegacyState, stateHome, statePaths } from '../../src-main/common/state-home.js';
import { stateFolder } from '../../src-main/electron/launch.js';
import { classicEspcn, randomWeights } from '../../src-main/engine/models/spec.js';
import { listModels, saveModel } from '../../src-main/engine/models/store.js';
import { engineRunner } from '../../src-main/jobs/engine-runner.js';
import { JobQueue } from '../../src-main/jobs/queue.js';
import { createEngineClient } from '../../src-main/workers/engine-client.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/subpixel.js', import.meta.url).pathname;
const SAMPLES = new URL('../../resources/samples/', import.meta.url).pathname;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

describe('the CLI and the app', () => {
  const dir = mkdtempSync(join(tmpdir(), 'subpixel-parity-'));
  const models = join(dir, 'models');
  const inputs = join(dir, 'in');
  const env = { ...process.env, SUBPIXEL_HOME: join(dir, 'home'), SUBPIXEL_MODELS_DIR: models };
  before(async () => {
    await saveModel(join(models, 'random-x2'), randomWeights(classicEspcn(2), 5), { id: 'random-x2' });
    mkdirSync(join(inputs, 'sub'), { recursive: true });
    await sharp(join(SAMPLES, 'chelsea.png')).resize(40, 30).toFile(join(inputs, 'cat.png'));
    await sharp(join(SAMPLES, 'rocket.jpg')).resize(40, 30).jpeg().toFile(join(inputs, 'sub', 'rocket.jpeg'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const settings of [
    { naming: '{name}_x{scale}.{ext}', format: 'keep' as const },
    { naming: '{model}-{name}-{scale}x', format: 'webp' as const },
  ]) {
    it(`write the same output names for the same settings (${settings.naming}, ${settings.format})`, async () => {
      const tag = settings.format;
      const cliOut = join(dir, `cli-${tag}`);
      await run(process.execPath, [BIN, 'upscale', inputs, '-o', cliOut, '-s', '2', '-m', 'random-x2', '--recursive',
        '--naming', settings.naming, '--format', settings.format, '--json'], { env });

      const appOut = join(dir, `app-${tag}`);
      const engine = createEngineClient();
      const queue = await JobQueue.open({ journalPath: join(dir, `queue-${tag}.jsonl`), runner: engineRunner(engine, { modelSearchPaths: [models] }) });
      try {
        const added = await queue.addPaths([inputs], { model: 'random-x2', scale: 2, outputDir: appOut, ...settings });
        assert.equal(added.items.length, 2, added.problems.join('; '));
        await queue.idle();
        assert.deepEqual(queue.list().map((i) => i.state), ['done', 'done'], queue.list().map((i) => i.error).join('; '));
      } finally {
        await queue.close();
        await engine.close();
      }
      const names = filesUnder(appOut);
      assert.equal(names.length, 2);
      assert.deepEqual(filesUnder(cliOut), names);
      if (settings.format === 'keep') assert.deepEqual(names, ['cat_x2.png', 'sub/rocket_x2.jpeg']);
    });
  }

  it('name outputs of several folders alike: each folder leads with its own name, so same-named files never collide', async () => {
    const trip = join(dir, 'Trip');
    const home = join(dir, 'Home');
    for (const folder of [trip, home]) {
      mkdirSync(folder, { recursive: true });
      await sharp(join(SAMPLES, 'chelsea.png')).resize(24, 16).toFile(join(folder, 'img.png'));
    }
    const cliOut = join(dir, 'cli-two');
    await run(process.execPath, [BIN, 'upscale', trip, home, '-o', cliOut, '-s', '2', '-m', 'random-x2', '--json'], { env });
    const appOut = join(dir, 'app-two');
    const engine = createEngineClient();
    const queue = await JobQueue.open({ journalPath: join(dir, 'queue-two.jsonl'), runner: engineRunner(engine, { modelSearchPaths: [models] }) });
    try {
      await queue.addPaths([trip, home], { model: 'random-x2', scale: 2, outputDir: appOut });
      await queue.idle();
    } finally {
      await queue.close();
      await engine.close();
    }
    assert.deepEqual(filesUnder(appOut), ['Home/img_x2.png', 'Trip/img_x2.png']);
    assert.deepEqual(filesUnder(cliOut), filesUnder(appOut));
  });

  it('a re-run never overwrites silently: the default policy adds a number, like the app; --overwrite is explicit', async () => {
    const out = join(dir, 'rerun');
    const args = [BIN, 'upscale', join(inputs, 'cat.png'), '-o', out, '-s', '2', '-m', 'random-x2', '--json'];
    await run(process.execPath, args, { env });
    const first = statSync(join(out, 'cat_x2.png'));
    const again = JSON.parse((await run(process.execPath, args, { env })).stdout) as { done: Array<{ output: string }> };
    assert.deepEqual(again.done.map((d) => relative(out, d.output)), ['cat_x2 (1).png']);
    assert.equal(statSync(join(out, 'cat_x2.png')).mtimeMs, first.mtimeMs, 'the first output is untouched');

    const skip = JSON.parse((await run(process.execPath, [...args, '--overwrite', 'skip'], { env })).stdout) as { skipped: unknown[] };
    assert.equal(skip.skipped.length, 1);
    const over = JSON.parse((await run(process.execPath, [...args, '--overwrite', 'overwrite'], { env })).stdout) as { done: Array<{ output: string }> };
    assert.deepEqual(over.done.map((d) => relative(out, d.output)), ['cat_x2.png']);
    assert.deepEqual(filesUnder(out), ['cat_x2 (1).png', 'cat_x2.png']);
  });

  it('share one state folder: a model fine-tuned in the app is listed by the CLI, and one the CLI writes by the app', async () => {
    // A user's environment: no SUBPIXEL_HOME, a home of their own.
    const userEnv: NodeJS.ProcessEnv = { ...process.env, HOME: join(dir, 'user'), XDG_DATA_HOME: join(dir, 'user', '.local', 'share'), SUBPIXEL_MODELS_DIR: join(dir, 'none') };
    delete userEnv.SUBPIXEL_HOME;
    delete userEnv.SUBPIXEL_USER_MODELS_DIR;
    const home = stateFolder({ env: userEnv });
    assert.equal(home, stateHome(undefined, userEnv));

    const app = await openAppServices({ home, allowHome: false, autoStart: false });
    try {
      // What a finished fine-tune leaves: a model folder under the app's user models.
      await saveModel(join(app.userModelsDir, 'tuned-in-app'), randomWeights(classicEspcn(2), 3), { id: 'tuned-in-app' });
      const info = JSON.parse((await run(process.execPath, [BIN, 'info', '--json'], { env: userEnv })).stdout) as { models: Array<{ id: string }> };
      assert.ok(info.models.some((m) => m.id === 'tuned-in-app'), JSON.stringify(info.models));

      // And back: the CLI's default output folder for `subpixel finetune` is the same user models folder.
      await saveModel(join(statePaths(stateHome(undefined, userEnv)).models, 'tuned-in-cli'), randomWeights(classicEspcn(2), 4), { id: 'tuned-in-cli' });
      const { models: listed } = await listModels(app.modelDirs);
      assert.ok(listed.some((m) => m.id === 'tuned-in-cli'));
    } finally {
      await app.close();
    }
  });

  it('state an earlier app version kept in Electron\'s userData moves to the shared folder once', async () => {
    const legacy = join(dir, 'legacy-userdata');
    const home = join(dir, 'shared-home');
    mkdirSync(join(legacy, 'models', 'old-model'), { recursive: true });
    writeFileSync(join(legacy, 'settings.json'), '{"version":1}');
    writeFileSync(join(legacy, 'queue.jsonl'), '');
    mkdirSync(join(legacy, 'GPUCache'));
    const moved = await moveLegacyState(legacy, home);
    assert.deepEqual(moved.map((p) => relative(home, p)).sort(), ['models', 'queue.jsonl', 'settings.json']);
    assert.deepEqual(readdirSync(legacy), ['GPUCache'], "Chromium's own folders stay");
    assert.deepEqual(await moveLegacyState(legacy, home), [], 'only once');
  });
});
