import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { toApiError } from '../../src-main/api/dispatcher.js';
import { AbortError, CodedError, deserializeError, errorCodeOf, isAbortError, serializeError } from '../../src-main/common/errors.js';
import { readImage } from '../../src-main/engine/image-io/read.js';
import { resolveModel } from '../../src-main/engine/models/store.js';
import { createEngineClient } from '../../src-main/workers/engine-client.js';

test('kinds survive serialisation; cancels come back as the one AbortError', () => {
  const wire = structuredClone(serializeError(new CodedError('unsupported', 'no HEIC here')));
  assert.deepEqual(wire, { code: 'unsupported', message: 'no HEIC here' });
  const back = deserializeError(wire);
  assert.equal(errorCodeOf(back), 'unsupported');
  assert.equal(back.message, 'no HEIC here');

  const gap = deserializeError(structuredClone(serializeError(new CodedError('invalid_input', '1 frame missing', { detail: 'gap' }))));
  assert.equal(gap.detail, 'gap');

  const canceled = deserializeError(serializeError(new AbortError('canceled: a.png')));
  assert.ok(canceled instanceof AbortError && isAbortError(canceled));
  assert.equal(canceled.name, 'AbortError');
  // the platform's own abort errors count too
  assert.equal(errorCodeOf(AbortSignal.abort().reason), 'canceled');
  assert.equal(errorCodeOf(Object.assign(new Error('gone'), { code: 'ENOENT' })), 'not_found');
  assert.equal(errorCodeOf('a string'), 'internal');
});

test('the API maps each kind once; only unexpected errors are reported as internal', () => {
  const reported: string[] = [];
  const report = (m: string): void => { reported.push(m); };
  assert.equal(toApiError('x', new CodedError('invalid_input', 'bad'), report).code, 'bad_request');
  assert.equal(toApiError('x', new AbortError(), report).code, 'canceled');
  assert.equal(toApiError('x', Object.assign(new Error('denied'), { code: 'EACCES' }), report).code, 'forbidden_path');
  assert.deepEqual(reported, []);
  assert.deepEqual(toApiError('x', new Error('boom'), report), { code: 'internal', message: 'boom' });
  assert.deepEqual(reported, ['x failed']);
});

test('engine errors carry their kind through the worker thread', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'subpixel-errors-'));
  const engine = createEngineClient();
  t.after(async () => { await engine.close(); await rm(dir, { recursive: true, force: true }); });
  const notImage = join(dir, 'notes.png');
  await writeFile(notImage, 'plain text, not a PNG');
  // the same failure in-process and through the worker
  const local = await readImage(notImage).catch((e: unknown) => e);
  const remote = await engine.upscaleFile(notImage, join(dir, 'out.png'), { scale: 2 }).catch((e: unknown) => e);
  assert.equal(errorCodeOf(local), 'invalid_input');
  assert.equal(errorCodeOf(remote), 'invalid_input');
  assert.match((remote as Error).message, /notes\.png/);

  const missingModel = await engine.upscaleFile(notImage, join(dir, 'out.png'), { scale: 2, model: 'no-such-model' }).catch((e: unknown) => e);
  assert.equal(errorCodeOf(missingModel), 'not_found');
  assert.equal(errorCodeOf(await resolveModel('no-such-model').catch((e: unknown) => e)), 'not_found');

  const controller = new AbortController();
  controller.abort();
  const aborted = await engine.upscaleFile(notImage, join(dir, 'out.png'), { scale: 2 }, { signal: controller.signal }).catch((e: unknown) => e);
  assert.ok(aborted instanceof AbortError);
});
