// Video and frame sequences end to end with the real FFmpeg, the shipped x2 model and clips FFmpeg makes here.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { findFfmpeg, FfmpegMissingError } from '../../src-main/video/ffmpeg.js';
import { probeVideo } from '../../src-main/video/probe.js';
import { partsDirFor, upscaleVideo } from '../../src-main/video/upscale-video.js';
import { VideoError } from '../../src-main/video/errors.js';
import { upscaleFile } from '../../src-main/engine/upscale.js';
import { matroskaFramePrefix, matroskaHeader } from '../../src-main/video/raw-matroska.js';
import { ffmpeg, framePts, frameHashes, packetHashes, testClip, vfrClip, videoStream } from './fixtures/video-fixtures.js';

const exec = promisify(execFile);
const BIN = new URL('../../bin/subpixel.js', import.meta.url).pathname;

interface CliResult { code: number; stdout: string; stderr: string }
async function subpixel(args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], { maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('video', () => {
  const dir = mkdtempSync(join(tmpdir(), 'subpixel-video-'));
  const clip8 = join(dir, 'clip8.mp4');
  const clip10 = join(dir, 'clip10.mp4');
  const vfr = join(dir, 'vfr.mkv');
  const seqDir = join(dir, 'scans');

  before(async () => {
    // 8-bit H.264 + AAC, 2 s at 24 fps (48 frames).
    await testClip(clip8, 2);
    // 10-bit H.264 with BT.709 tags, 24 frames.
    await ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=64x48:r=24', '-f', 'lavfi', '-i', 'sine=f=300:r=44100', '-t', '1',
      '-c:v', 'libx264', '-pix_fmt', 'yuv420p10le', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709', '-color_range', 'tv',
      '-c:a', 'aac', '-shortest', clip10);
    // Variable frame rate: every third frame is held twice as long, with audio.
    await vfrClip(vfr);
    // 16-bit TIFF scans numbered from 5 with frame 9 missing.
    mkdirSync(seqDir);
    await ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=64x48:r=24', '-frames:v', '10', '-pix_fmt', 'rgb48le', '-start_number', '5', join(seqDir, 'scan_%06d.tif'));
    rmSync(join(seqDir, 'scan_000009.tif'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds FFmpeg, and a bad SUBPIXEL_FFMPEG gives one clear line', async () => {
    const tools = await findFfmpeg();
    assert.match(tools.version, /^\d/);
    assert.ok(existsSync(tools.ffprobe));
    await assert.rejects(findFfmpeg(join(dir, 'no-ffmpeg-here')), (e: Error) => e instanceof FfmpegMissingError && /install it/.test(e.message) && !e.message.includes('\n'));
  });

  it('probes frames, rate, depth, colour tags and the other streams', async () => {
    const info = await probeVideo(await findFfmpeg(), clip10);
    assert.deepEqual([info.codec, info.width, info.height, info.frames, info.frameRate, info.bitDepth, info.pixFmt], ['h264', 64, 48, 24, '24/1', 10, 'yuv420p10le']);
    assert.deepEqual(info.colour, { primaries: 'bt709', transfer: 'bt709', matrix: 'bt709', range: 'tv' });
    assert.deepEqual(info.others.map((s) => `${s.type}:${s.codec}`), ['audio:aac']);
  });

  it('upscales an 8-bit H.264 clip to FFV1: size x2, every frame at its time, audio packets bit-exact', async () => {
    const out = join(dir, 'out8', 'clip8.mkv');
    const seen: number[] = [];
    const r = await upscaleVideo(clip8, out, { scale: 2, segmentFrames: 20, onProgress: (p) => seen.push(p.framesDone) });
    assert.deepEqual([r.frames, r.width, r.height, r.codec], [48, 128, 96, 'ffv1']);
    assert.equal(seen.at(-1), 48);
    const v = await videoStream(out);
    assert.deepEqual([v.codec_name, v.width, v.height, v.pix_fmt, v.r_frame_rate, Number(v.nb_read_packets)], ['ffv1', 128, 96, 'yuv420p', '24/1', 48]);
    assert.deepEqual(await packetHashes(out, '0:a'), await packetHashes(clip8, '0:a'));
    // Matroska cannot start below 0 (AAC priming): the whole file may shift, the spacing may not.
    const [a, b] = [await framePts(clip8), await framePts(out)];
    assert.deepEqual(b.map((t) => Math.round((t - b[0]) * 1000)), a.map((t) => Math.round((t - a[0]) * 1000)));
    assert.ok(!existsSync(partsDirFor(out)), 'segments cleaned up');
  });

  it('keeps 10-bit and the colour tags', async () => {
    const out = join(dir, 'out10', 'clip10.mkv');
    await upscaleVideo(clip10, out, { scale: 2, segmentFrames: 10 });
    const v = await videoStream(out);
    assert.deepEqual([v.pix_fmt, v.color_primaries, v.color_transfer, v.color_space, v.color_range, Number(v.nb_read_packets)],
      ['yuv420p10le', 'bt709', 'bt709', 'bt709', 'tv', 24]);
    assert.deepEqual(await packetHashes(out, '0:a'), await packetHashes(clip10, '0:a'));
  });

  it('keeps variable frame rate timestamps exactly', async () => {
    const out = join(dir, 'outvfr', 'vfr.mkv');
    await upscaleVideo(vfr, out, { scale: 2, segmentFrames: 7 });
    const [a, b] = [await framePts(vfr), await framePts(out)];
    assert.equal(b.length, 23);
    assert.deepEqual(b, a);
    assert.deepEqual(await packetHashes(out, '0:a'), await packetHashes(vfr, '0:a'));
  });

  it('a sequence with a gap is an error unless gaps are allowed; then numbering and 16 bits are kept', async () => {
    const pattern = join(seqDir, 'scan_%06d.tif');
    await assert.rejects(upscaleVideo(pattern, join(dir, 'seq-out', 'scan'), { scale: 2, codec: 'tiff-sequence' }),
      (e: Error) => e instanceof VideoError && e.kind === 'gap' && /1 frame missing .*\(9\).*--allow-gaps/.test(e.message));
    const out = join(dir, 'seq-out', 'scan');
    const r = await upscaleVideo(seqDir, out, { scale: 2, codec: 'tiff-sequence', allowGaps: true, segmentFrames: 4 });
    assert.equal(r.frames, 9);
    assert.deepEqual(readdirSync(out).sort(), [5, 6, 7, 8, 10, 11, 12, 13, 14].map((n) => `scan_${String(n).padStart(6, '0')}.tif`));
    const meta = await sharp(join(out, 'scan_000010.tif')).metadata();
    assert.deepEqual([meta.width, meta.height, meta.depth], [128, 96, 'ushort']);
  });

  it('each frame of a PNG sequence comes out exactly as the same PNG upscaled as a still', async () => {
    const frames = join(dir, 'pngs');
    mkdirSync(frames);
    await ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=40x30:r=24', '-frames:v', '5', '-pix_fmt', 'rgb24', join(frames, 'f_%03d.png'));
    const out = join(dir, 'png-out', 'f');
    await upscaleVideo(join(frames, 'f_%03d.png'), out, { scale: 2, codec: 'png-sequence', segmentFrames: 2 });
    for (const n of ['001', '003', '005']) {
      const still = join(dir, 'png-out', `still_${n}.png`);
      await upscaleFile(join(frames, `f_${n}.png`), still, { scale: 2 });
      const [a, b] = await Promise.all([join(out, `f_${n}.png`), still].map((p) => sharp(p).raw().toBuffer()));
      assert.ok(a.equals(b), `frame ${n} equals its still upscale`);
    }
  });

  it('SIGKILL mid-video, then the same command: at most one segment redone, frames identical to an uninterrupted run', async () => {
    const clip = join(dir, 'long.mkv');
    await ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=64x48:r=24', '-f', 'lavfi', '-i', 'sine=f=440:r=48000', '-t', '2', '-c:v', 'ffv1', '-c:a', 'flac', '-shortest', clip);
    const args = (out: string): string[] => [BIN, 'upscale', clip, '-o', out, '-s', '2', '--segment-frames', '6', '--json'];
    const reference = join(dir, 'ref');
    assert.equal((await subpixel(args(reference).slice(1))).code, 0);

    const out = join(dir, 'resumed');
    const parts = partsDirFor(join(out, 'long_x2.mkv'));
    const child = spawn(process.execPath, args(out), { stdio: 'ignore' });
    // Kill once a few segments are committed (and one is in flight).
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        const committed = existsSync(parts) ? readdirSync(parts).filter((f) => /^seg-\d+\.json$/.test(f)).length : 0;
        if (committed >= 3) { clearInterval(timer); child.kill('SIGKILL'); resolve(); }
      }, 5);
      child.on('exit', () => { clearInterval(timer); reject(new Error('finished before it could be killed')); });
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const committed = readdirSync(parts).filter((f) => /^seg-\d+\.json$/.test(f)).length;
    assert.ok(!existsSync(join(out, 'long_x2.mkv')), 'no output yet');

    const again = await subpixel(args(out).slice(1));
    assert.equal(again.code, 0, again.stderr);
    const doc = JSON.parse(again.stdout) as { done: Array<{ frames: number; resumedFrames: number }> };
    assert.equal(doc.done[0].frames, 48);
    assert.equal(doc.done[0].resumedFrames, committed * 6, 'committed segments are not redone');
    assert.deepEqual(await frameHashes(join(out, 'long_x2.mkv')), await frameHashes(join(reference, 'long_x2.mkv')));
    assert.deepEqual(await packetHashes(join(out, 'long_x2.mkv'), '0:a'), await packetHashes(clip, '0:a'));
    assert.ok(!existsSync(parts), 'segments cleaned up after success');
  });

  it('a codec this FFmpeg cannot decode is named in the error', async () => {
    const path = join(dir, 'unknown-codec.mkv');
    // A valid Matroska file whose track claims a codec no FFmpeg knows.
    const header = Buffer.from(matroskaHeader(8, 4, { pixFmt: 'rgb24', channels: 3, bitDepth: 8 }).toString('latin1').replace('V_UNCOMPRESSED', 'V_QUUX/FOOBAR1'), 'latin1');
    writeFileSync(path, Buffer.concat([header, matroskaFramePrefix(0n, 96), Buffer.alloc(96, 9), matroskaFramePrefix(40_000_000n, 96), Buffer.alloc(96, 9)]));
    await assert.rejects(upscaleVideo(path, join(dir, 'unknown-out', 'x.mkv'), { scale: 2 }),
      (e: Error) => e instanceof VideoError && e.kind === 'unsupported-codec' && /video codec .*RGB\[24\].* cannot be decoded/.test(e.message));
  });

  it('h264 output goes in the input\'s mp4 with its audio; --deflicker keeps every frame', async () => {
    const out = join(dir, 'out-h264', 'clip8.mp4');
    const r = await upscaleVideo(clip8, out, { scale: 2, codec: 'h264', crf: 23, deflicker: true, segmentFrames: 16 });
    assert.equal(r.frames, 48);
    const v = await videoStream(out);
    assert.deepEqual([v.codec_name, v.width, v.pix_fmt, Number(v.nb_read_packets)], ['h264', 128, 'yuv420p', 48]);
    assert.deepEqual(await packetHashes(out, '0:a'), await packetHashes(clip8, '0:a'));
    assert.deepEqual(await framePts(out), await framePts(clip8));
  });

  it('alpha survives: an RGBA frame sequence becomes ProRes 4444', async () => {
    const frames = join(dir, 'rgba');
    mkdirSync(frames);
    await ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=32x24:r=24', '-frames:v', '3', '-vf', 'format=rgba,geq=r=r(X\\,Y):g=g(X\\,Y):b=b(X\\,Y):a=X*8', join(frames, 'a_%02d.png'));
    const out = join(dir, 'rgba-out', 'a.mov');
    await upscaleVideo(join(frames, 'a_%02d.png'), out, { scale: 2, codec: 'prores' });
    const v = await videoStream(out);
    assert.deepEqual([v.codec_name, v.profile, v.width, Number(v.nb_read_packets)], ['prores', '4444', 64, 3]);
    assert.match(String(v.pix_fmt), /^yuva444p1[02]le$/, 'decoded with its alpha plane');
  });

  it('the CLI mixes a video, a folder of 10-bit DPX scans and a still; --json gives frames, fps and codec', async () => {
    const scans = join(dir, 'dpx-scans');
    mkdirSync(scans);
    await ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=64x48:r=24', '-frames:v', '4', '-pix_fmt', 'gbrp10le', '-start_number', '101', join(scans, 'film_%04d.dpx'));
    const still = join(dir, 'mixed-still.png');
    await sharp({ create: { width: 20, height: 16, channels: 3, background: '#996633' } }).png().toFile(still);
    const out = join(dir, 'mixed-out');
    const r = await subpixel(['upscale', clip10, scans, still, '-o', out, '-s', '2', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { done: Array<{ input: string; output: string; frames?: number; fps?: number; codec?: string; width: number }> };
    const by = Object.fromEntries(doc.done.map((d) => [d.input, d]));
    assert.deepEqual([by[clip10].output, by[clip10].frames, by[clip10].codec], [join(out, 'clip10_x2.mkv'), 24, 'ffv1']);
    assert.ok(by[clip10].fps! > 0);
    assert.deepEqual([by[scans].output, by[scans].frames, by[scans].width], [join(out, 'dpx-scans_x2.mkv'), 4, 128]);
    assert.equal((await videoStream(by[scans].output)).pix_fmt, 'gbrp10le', '10-bit scans stay 10-bit');
    assert.equal(by[still].frames, undefined);
    assert.equal(by[still].width, 40);
  });

  it('truncated and corrupt videos fail with a clear reason; the rest of the batch goes on', async () => {
    const truncated = join(dir, 'truncated.mkv');
    await ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=64x48:r=24', '-t', '2', '-c:v', 'ffv1', truncated);
    truncateSync(truncated, Math.floor(statSync(truncated).size * 0.6));
    const garbage = join(dir, 'garbage.mp4');
    writeFileSync(garbage, Buffer.alloc(4096, 0x5a));
    const still = join(dir, 'still.png');
    await sharp({ create: { width: 20, height: 16, channels: 3, background: '#336699' } }).png().toFile(still);
    const r = await subpixel(['upscale', truncated, garbage, still, '-o', join(dir, 'bad-out'), '-s', '2', '--json']);
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.stdout) as { done: Array<{ input: string }>; failed: Array<{ input: string; error: string }> };
    assert.deepEqual(doc.done.map((d) => d.input), [still]);
    const errors = Object.fromEntries(doc.failed.map((f) => [f.input, f.error]));
    assert.match(errors[truncated], /truncated or corrupt/);
    assert.match(errors[garbage], /not a readable video/);
    assert.ok(!readdirSync(join(dir, 'bad-out')).some((f) => f.includes('subpixel-parts')), 'no segments left by bad input');
    assert.ok(readFileSync(join(dir, 'bad-out', 'still_x2.png')).length > 0);
  });
});
