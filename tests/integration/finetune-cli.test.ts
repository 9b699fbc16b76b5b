import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { loadModel } from '../../src-main/engine/models/store.js';
import { DEGRADATION_PRESETS } from '../../src-common/fine-tune.js';
import { SAMPLES } from '../paths.js';

const ROOT = join(import.meta.dirname, '../..');
// The commands as the CLI registers them (main.ts wires the same function into `subpixel`).
const HARNESS = `
import { Command } from 'commander';
const { registerTrainCommands } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src-main/cli/train.ts')).href)});
const program = new Command().name('subpixel');
registerTrainCommands(program);
try { await program.parseAsync(process.argv.slice(1), { from: 'user' }); } catch (e) { process.stderr.write('subpixel: ' + e.message + '\\n'); process.exitCode = 2; }
`;
let dir: string;

function run(args: string[], options: { interruptAfterMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', HARNESS, '--', ...args], {
      cwd: ROOT, env: { ...process.env, SUBPIXEL_HOME: join(dir, 'home') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d; });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      if (options.interruptAfterMs !== undefined && /step \d+\/\d+/.test(stderr) && !child.killed) {
        setTimeout(() => child.kill('SIGINT'), options.interruptAfterMs);
        options.interruptAfterMs = undefined;
      }
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('close', (code) => { clearTimeout(guard); resolve({ code, stdout, stderr }); });
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'subpixel-train-cli-'));
  await mkdir(join(dir, 'hr'));
  for (const [i, name] of ['astronaut.png', 'coffee.png', 'chelsea.png', 'camera.png'].entries()) {
    await sharp(join(SAMPLES, name)).extract({ left: 60 + 20 * i, top: 40, width: 120, height: 120 }).png().toFile(join(dir, 'hr', `${i}.png`));
  }
});

after(async () => { await rm(dir, { recursive: true, force: true }); });

test('train --json prints one JSON document and writes a loadable model', async () => {
  const out = join(dir, 'm1');
  const r = await run(['train', '--hr', join(dir, 'hr'), '-s', '2', '--steps', '12', '--patch', '16', '--batch', '4', '--val-every', '6', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { status: string; step: number; model: string; val: { psnr: number }; stats: { trainImages: number }; backend: { name: string } };
  assert.equal(doc.status, 'completed');
  assert.equal(doc.step, 12);
  assert.equal(doc.backend.name, 'onnxruntime', 'gradients default to onnxruntime where tfjs-node is absent');
  assert.equal(doc.model, out);
  assert.ok(doc.val.psnr > 10);
  assert.ok(existsSync(join(out, 'model.json')) && existsSync(join(out, 'checkpoint', 'checkpoint.json')));
});

test('train --widths --skip trains a deeper efficient network with a bicubic skip (LeakyRelu unless --activation says otherwise), --blocks one on 2x2 blocks; widths over the MAC budget are refused', async () => {
  const out = join(dir, 'deep');
  const r = await run(['train', '--hr', join(dir, 'hr'), '-s', '2', '--widths', '8,8,8,8', '--skip', 'bicubic', '--steps', '4', '--patch', '16', '--batch', '4', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const { spec } = (await loadModel(out)).weights;
  assert.deepEqual(spec.widths, [8, 8, 8, 8]);
  assert.deepEqual(spec.kernels, [3, 3, 3, 3, 3]);
  assert.equal(spec.skip, 'bicubic');
  assert.equal(spec.activation, 'leakyrelu', 'the shipped models\' activation by default');
  const prelu = await run(['train', '--hr', join(dir, 'hr'), '-s', '2', '--activation', 'prelu', '--steps', '2', '--patch', '16', '--batch', '4', '--out', join(dir, 'prelu'), '--json']);
  assert.equal(prelu.code, 0, prelu.stderr);
  assert.equal((await loadModel(join(dir, 'prelu'))).weights.spec.activation, 'prelu');
  const badActivation = await run(['train', '--hr', join(dir, 'hr'), '-s', '2', '--activation', 'tanh', '--steps', '2']);
  assert.notEqual(badActivation.code, 0);
  assert.match(badActivation.stderr, /--activation/);
  const badSkip = await run(['train', '--hr', join(dir, 'hr'), '-s', '2', '--skip', 'lanczos', '--steps', '2']);
  assert.notEqual(badSkip.code, 0);
  assert.match(badSkip.stderr, /--skip/);
  const blocks = await run(['train', '--hr', join(dir, 'hr'), '-s', '2', '--widths', '16,16', '--blocks', '--steps', '2', '--patch', '16', '--batch', '4', '--out', join(dir, 'blocks'), '--json']);
  assert.equal(blocks.code, 0, blocks.stderr);
  const blockSpec = (await loadModel(join(dir, 'blocks'))).weights.spec;
  assert.equal(blockSpec.unshuffle, 2);
  const oddPatch = await run(['train', '--hr', join(dir, 'hr'), '-s', '2', '--blocks', '--steps', '2', '--patch', '17', '--batch', '4', '--out', join(dir, 'odd')]);
  assert.notEqual(oddPatch.code, 0);
  assert.match(oddPatch.stderr, /patch size must be even for this model/);
  const over = await run(['train', '--hr', join(dir, 'hr'), '-s', '4', '--widths', '64,64,64', '--steps', '2']);
  assert.notEqual(over.code, 0);
  assert.match(over.stderr, /over the 25000 budget/);
});

test('Ctrl-C writes a checkpoint and exits 130; --resume finishes the run', async () => {
  const out = join(dir, 'm2');
  const r = await run(['train', '--hr', join(dir, 'hr'), '-s', '2', '--steps', '150', '--patch', '16', '--batch', '4', '--checkpoint-every', '1000', '--out', out], { interruptAfterMs: 300 });
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /resume with: subpixel train --resume/);
  assert.ok(existsSync(join(out, 'checkpoint', 'checkpoint.json')));
  assert.ok(!existsSync(join(out, 'model.json')));
  const stoppedAt = Number(/stopped at step (\d+)/.exec(r.stderr)?.[1]);
  assert.ok(stoppedAt > 0 && stoppedAt < 150, `stopped at ${stoppedAt}`);
  const resumed = await run(['train', '--resume', join(out, 'checkpoint'), '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const doc = JSON.parse(resumed.stdout) as { status: string; step: number; model: string };
  assert.equal(doc.status, 'completed');
  assert.equal(doc.step, 150);
  assert.ok(existsSync(join(out, 'model.json')));
});

test('train --backend wasm trains on TF.js instead', async () => {
  const out = join(dir, 'm-wasm');
  const r = await run(['train', '--hr', join(dir, 'hr'), '-s', '2', '--steps', '4', '--patch', '16', '--batch', '4', '--backend', 'wasm', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { status: string; backend: { name: string; threads: number } };
  assert.equal(doc.status, 'completed');
  assert.deepEqual(doc.backend, { name: 'tfjs-wasm', threads: 1 });
});

test('bad input gives clear errors', async () => {
  const missing = await run(['train', '--hr', join(dir, 'nope'), '-s', '2', '--steps', '5']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /does not exist/);
  const badPreset = await run(['finetune', '--base', 'whatever', '--hr', join(dir, 'hr'), '--degradation', 'sepia']);
  assert.notEqual(badPreset.code, 0);
  assert.ok(badPreset.stderr.includes(`--degradation must be one of ${DEGRADATION_PRESETS.join(', ')} (got 'sepia')`), badPreset.stderr);
  const badBackend = await run(['train', '--hr', join(dir, 'hr'), '-s', '2', '--backend', 'cuda']);
  assert.notEqual(badBackend.code, 0);
  assert.match(badBackend.stderr, /--backend must be one of auto, onnx, wasm, cpu/);
  const badBase = await run(['finetune', '--base', 'no-such-model', '--hr', join(dir, 'hr'), '--steps', '5']);
  assert.equal(badBase.code, 2);
  assert.match(badBase.stderr, /no-such-model/);
});
