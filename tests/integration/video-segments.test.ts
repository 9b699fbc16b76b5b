// A video split into segments (each its own call, as on several workers) and joined is the one-pass result, frame
// for frame, with the source's audio packets and timestamps, and leaves nothing behind.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { joinVideoSegments, partsDirFor, upscaleVideo } from '../../src-main/video/upscale-video.js';
import { framePts, frameHashes, packetHashes, testClip, vfrClip } from './fixtures/video-fixtures.js';

describe('a video in segments, joined', () => {
  const dir = mkdtempSync(join(tmpdir(), 'subpixel-vseg-'));
  const clip = join(dir, 'clip.mp4');
  const vfr = join(dir, 'vfr.mkv');
  before(async () => {
    // 96 frames of 64x48 with AAC audio; and a variable-rate clip with FLAC.
    await testClip(clip, 4);
    await vfrClip(vfr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, frames] of [['clip.mp4', 96], ['vfr.mkv', 23]] as const) {
    it(`${name}: segments made in any order and joined equal one pass (framemd5 on FFV1, timestamps, audio packets)`, { timeout: 300_000 }, async () => {
      const input = join(dir, name);
      const options = { scale: 2 as const, segmentFrames: 20 };
      const onePass = join(dir, `one-${name}`, 'out.mkv');
      assert.equal((await upscaleVideo(input, onePass, options)).frames, frames);
      const split = join(dir, `split-${name}`, 'out.mkv');
      const count = Math.ceil(frames / options.segmentFrames);
      const order = Array.from({ length: count }, (_, k) => count - 1 - k);
      const results = await Promise.all(order.map((k) => upscaleVideo(input, split, { ...options, segment: k })));
      assert.deepEqual(results.map((r) => r.frames), order.map((k) => Math.min(20, frames - 20 * k)));
      assert.ok(!existsSync(split), 'nothing is joined before the join step');
      // A segment run again after its commit (a retry) does nothing.
      assert.equal((await upscaleVideo(input, split, { ...options, segment: 0 })).resumedFrames, 20);
      const joined = await joinVideoSegments(input, split, options);
      assert.equal(joined.frames, frames);
      assert.deepEqual(await frameHashes(split), await frameHashes(onePass));
      assert.equal((await frameHashes(split)).length, frames);
      assert.deepEqual(await framePts(split), await framePts(onePass));
      assert.deepEqual(await packetHashes(split, '0:a:0'), await packetHashes(input, '0:a:0'));
      assert.ok(!existsSync(partsDirFor(split)), 'the segments are gone');
      assert.deepEqual(readdirSync(join(dir, `split-${name}`)), ['out.mkv']);
    });
  }

  it('the join refuses while a segment is missing, and an unknown segment is refused', async () => {
    const out = join(dir, 'missing', 'out.mkv');
    await upscaleVideo(clip, out, { scale: 2, segmentFrames: 48, segment: 1 });
    await assert.rejects(joinVideoSegments(clip, out, { segmentFrames: 48 }), /segment 0 of 2 is not committed/);
    await assert.rejects(upscaleVideo(clip, out, { scale: 2, segmentFrames: 48, segment: 2 }), /outside the 2 segments/);
  });
});
