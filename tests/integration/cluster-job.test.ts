import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { assertAllowed, OutsideAllowedError, resolveAllowed } from '../../src-main/cluster/allow.js';
import { JobRejectedError, processClusterJob, type JobContext, type JobHandle } from '../../src-main/cluster/process-job.js';
import type { ClusterJob } from '../../src-main/cluster/protocol.js';
import { connectRedis, parseRedisUrl, redactRedisUrl, type RedisClient } from '../../src-main/cluster/redis.js';
import { classicEspcn, randomWeights } from '../../src-main/engine/models/spec.js';
import { saveModel } from '../../src-main/engine/models/store.js';
import { engineRunner } from '../../src-main/jobs/engine-runner.js';
import { jobSettingsSchema, type JobSettingsInput } from '../../src-main/jobs/types.js';
import { createEngineClient, type EngineClient } from '../../src-main/workers/engine-client.js';
import { redisMissing, startRedis, type TestRedis } from './redis-harness.js';
import { testClip } from './fixtures/video-fixtures.js';
import { chooseVideoModel } from '../../src-main/video/auto-choice.js';
import { findFfmpeg } from '../../src-main/video/ffmpeg.js';
import { openSource } from '../../src-main/video/source.js';

describe('allowed folders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'subpixel-allow-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts paths inside, refuses .. and symlinks that lead out, and names the folders', async () => {
    mkdirSync(join(dir, 'shared', 'in'), { recursive: true });
    mkdirSync(join(dir, 'private'));
    symlinkSync(join(dir, 'private'), join(dir, 'shared', 'escape'));
    const allowed = await resolveAllowed([join(dir, 'shared')]);
    await assertAllowed(join(dir, 'shared', 'in', 'a.png'), allowed, 'input');
    await assertAllowed(join(dir, 'shared', 'out', 'not', 'yet', 'there'), allowed, 'output folder');
    await assert.rejects(assertAllowed(join(dir, 'shared', '..', 'private', 'a.png'), allowed, 'input'), OutsideAllowedError);
    await assert.rejects(assertAllowed(join(dir, 'shared', 'escape', 'a.png'), allowed, 'input'), /outside the folders this worker may use \(--allow .*shared\)/);
    await assert.rejects(assertAllowed('relative/a.png', allowed, 'input'), /not an absolute path/);
    await assert.rejects(resolveAllowed([]), /--allow <dir>/);
    await assert.rejects(resolveAllowed([join(dir, 'nope')]), /--allow .*nope: no such folder/);
  });

  it('parses redis and rediss URLs and keeps passwords out of messages', () => {
    assert.equal(parseRedisUrl('rediss://:s3cret@cache.example:6380/2').protocol, 'rediss:');
    assert.equal(redactRedisUrl('redis://user:s3cret@host:6379/0'), 'redis://user:***@host:6379/0');
    assert.throws(() => parseRedisUrl('http://host'), /redis:\/\/ or rediss:\/\//);
    assert.throws(() => parseRedisUrl('redis://host/cache'), /database number/);
    assert.throws(() => parseRedisUrl('redis://:s3cret@'), (e: Error) => !e.message.includes('s3cret'));
  });
});

describe('one cluster job', { skip: redisMissing }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'subpixel-cjob-'));
  const shared = join(dir, 'shared');
  const out = join(shared, 'out');
  let redis: TestRedis;
  let client: RedisClient;
  let engine: EngineClient;
  let ctx: JobContext;
  let model: string;
  let n = 0;

  before(async () => {
    redis = await startRedis();
    client = await connectRedis(redis.url, { role: 'worker' });
    engine = createEngineClient();
    model = join(shared, 'model');
    await saveModel(model, randomWeights(classicEspcn(2), 3), { id: 'job-x2' });
    mkdirSync(join(shared, 'in'), { recursive: true });
    await sharp({ create: { width: 20, height: 14, channels: 3, background: '#446688' } }).png().toFile(join(shared, 'in', 'a.png'));
    await sharp({ create: { width: 20, height: 14, channels: 3, background: '#886644' } }).jpeg().toFile(join(shared, 'in', 'a.jpg'));
    writeFileSync(join(shared, 'in', 'bad.png'), 'garbage');
    ctx = { runner: engineRunner(engine), allowed: await resolveAllowed([shared]), modelDirs: [], redis: client, worker: 'test:1' };
  });
  after(async () => {
    await engine?.close();
    client?.disconnect();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A job as BullMQ hands it to the processor; updateData keeps what the worker stores, as Redis would. */
  const handle = (input: string, settings: JobSettingsInput, plan: ClusterJob['plan'] = null): JobHandle & { data: ClusterJob } => {
    const h = {
      id: `b-${n++}`,
      data: { batchId: 'b', input, relDir: '', settings: jobSettingsSchema.parse(settings), addedAt: Date.now(), pixels: 280, plan } as ClusterJob,
      updateData: async (data: ClusterJob) => { h.data = data; },
      updateProgress: async () => undefined,
    };
    return h;
  };
  const settings = (over: JobSettingsInput = {}): JobSettingsInput => ({ model, scale: 2, format: 'png', outputDir: out, ...over });

  it('two jobs started together that want one name get two (rename policy, claims across workers)', async () => {
    const [a, b] = await Promise.all([
      processClusterJob(handle(join(shared, 'in', 'a.png'), settings()), ctx),
      processClusterJob(handle(join(shared, 'in', 'a.jpg'), settings()), ctx),
    ]);
    assert.equal(a.kind, 'done');
    assert.deepEqual([a.output, b.output].sort(), [join(out, 'a_x2 (1).png'), join(out, 'a_x2.png')]);
  });

  it('the result names the model that ran, and why when Automatic chose it', async () => {
    const given = await processClusterJob(handle(join(shared, 'in', 'a.png'), settings({ outputDir: join(out, 'given') })), ctx);
    assert.equal(given.kind === 'done' && given.model, 'job-x2');
    assert.equal(given.kind === 'done' && given.reason, undefined);
    const auto = await processClusterJob(handle(join(shared, 'in', 'a.jpg'), settings({ model: null, outputDir: join(out, 'auto') })), ctx);
    assert.ok(auto.kind === 'done');
    assert.equal(auto.model, 'robust-x2');
    assert.match(auto.reason ?? '', /^robust: JPEG q≈\d+/);
  });

  it('a video split into segments is judged once, and its segments run the chosen model', async () => {
    const clip = join(shared, 'in', 'clip.mp4');
    await testClip(clip, 1);
    const video = handle(clip, settings({ model: null, outputDir: join(out, 'video') }));
    let children: ClusterJob[] = [];
    video.splitInto = async (segments) => { children = segments; return true; };
    await assert.rejects(processClusterJob(video, { ...ctx, segmentFrames: 8 }), /waiting for 3 segments/);
    const split = video.data.split!;
    const tools = await findFfmpeg();
    const expected = await chooseVideoModel(tools, await openSource(tools, clip), 2);
    assert.deepEqual({ model: split.model, reason: split.reason }, { model: expected.model, reason: expected.reason });
    assert.equal(children.length, 3);
    assert.ok(children.every((c) => c.settings.model === expected.model && c.segment !== null));
  });

  it('the attempt after a crash finds the finished output instead of writing a second one, and removes a stale temp', async () => {
    const first = handle(join(shared, 'in', 'a.png'), settings({ outputDir: join(out, 'retry') }));
    const r1 = await processClusterJob(first, ctx);
    assert.ok(first.data.plan, 'the plan is stored in the job before the engine runs');
    // The worker died after the rename but before BullMQ heard of it; a temp file of another attempt lies beside it.
    writeFileSync(join(out, 'retry', '.a_x2.png.subpixel-tmp-0123abcd'), 'partial');
    const again = { ...first, id: first.id, data: { ...first.data } };
    const r2 = await processClusterJob(again, ctx);
    assert.equal(r2.kind, 'done');
    assert.equal(r2.output, r1.output);
    assert.deepEqual(readdirSync(join(out, 'retry')), ['a_x2.png']);
  });

  it('a planned output that never got written is written on the next attempt, at the planned path', async () => {
    const planned = join(out, 'unfinished', 'a_x2.png');
    mkdirSync(join(out, 'unfinished'), { recursive: true });
    writeFileSync(join(out, 'unfinished', '.a_x2.png.subpixel-tmp-00ff'), 'cut short');
    const r = await processClusterJob(handle(join(shared, 'in', 'a.png'), settings({ outputDir: join(out, 'unfinished') }), { path: planned, previous: null }), ctx);
    assert.equal(r.output, planned);
    assert.deepEqual(readdirSync(join(out, 'unfinished')), ['a_x2.png']);
    assert.equal((await sharp(planned).metadata()).width, 40);
  });

  it('skip policy skips an existing output; a bad file fails with the engine message; outside --allow is refused', async () => {
    const skip = await processClusterJob(handle(join(shared, 'in', 'a.png'), settings({ overwrite: 'skip' })), ctx);
    assert.equal(skip.kind, 'skipped');
    await assert.rejects(processClusterJob(handle(join(shared, 'in', 'bad.png'), settings()), ctx), /not an image/);
    await assert.rejects(processClusterJob(handle('/etc/hostname.png', settings()), ctx), JobRejectedError);
    await assert.rejects(processClusterJob(handle(join(shared, 'in', 'a.png'), settings({ outputDir: join(dir, 'elsewhere') })), ctx), /output folder .* outside/);
    await assert.rejects(processClusterJob({ ...handle(join(shared, 'in', 'a.png'), settings()), data: { input: 3 } }, ctx), /not a subpixel upscale job/);
  });
});
