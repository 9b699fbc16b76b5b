/**
 * One video (or frame sequence) in, one upscaled video (or sequence) out:
 *
 *   ffmpeg decode ──raw frames──▶ engine (tiles × backend, same as stills) ──raw frames + timestamps──▶ ffmpeg encode
 *
 * Frames stream over pipes (memory: a few frames). The decoder runs ahead by a frame and the encoder drains the
 * previous frame while the next one is inferred, so both overlap inference. Output is made in segments of
 * `segmentFrames` frames, each committed atomically into a parts folder next to the output; a run that is killed
 * and started again decodes from the start but infers and encodes only the segments not yet committed. The
 * segments are joined losslessly (concat demuxer, stream copy) with the source's audio, subtitle and data
 * streams copied bit-exact, and the frame timestamps are the source's own (variable frame rate kept).
 */
import { mkdirSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { upscaleRaster } from '../engine/pipeline.js';
import { loadEngineModel, tileSessionsFor, type UpscaleOptions } from '../engine/upscale.js';
import type { Raster } from '../engine/raster.js';
import { syncFile, syncFolder, writeFileAtomic } from '../common/atomic-write.js';
import { findFfmpeg, type FfmpegTools } from './ffmpeg.js';
import { VideoError } from './errors.js';
import { DEFAULT_VIDEO_CODEC, MUXERS, planEncode, type EncodePlan, type VideoCodec } from './codecs.js';
import { frameBytes, pixelFormatFacts, rawFormatFor, type RawFormat } from './pixel-format.js';
import { matroskaFramePrefix, matroskaHeader } from './raw-matroska.js';
import { readFrames, spawnFfmpeg, writeTo, type FfmpegProcess } from './process.js';
import { openSource, type VideoSource } from './source.js';
import { frameName, isSequencePattern } from './sequence.js';
import { sequenceStem } from '../../src-common/naming.js';
import { hasUnfinishedParts, partsDirFor } from './parts-dir.js';
import { chooseVideoModel } from './auto-choice.js';

export { partsDirFor };
import type { ColourTags } from './probe.js';
import type { VideoProgress } from '../../src-common/video.js';

export type { VideoProgress };

export interface VideoUpscaleOptions extends Pick<UpscaleOptions, 'model' | 'scale' | 'backend' | 'tile' | 'modelSearchPaths' | 'threads' | 'inferenceLock' | 'signal'> {
  codec?: VideoCodec;
  crf?: number;
  deflicker?: boolean;
  allowGaps?: boolean;
  /** Frame rate of a frame sequence when it is encoded as video ("24", "24000/1001"). */
  sequenceRate?: string;
  /** ffmpeg executable from the settings (else SUBPIXEL_FFMPEG, bundled, PATH). */
  ffmpegPath?: string | null;
  /** Frames per committed segment: what a crash may cost. */
  segmentFrames?: number;
  /**
   * Only this segment (frames k·segmentFrames up to the next segment's first; the last one takes every frame left):
   * it is encoded and committed into the parts folder beside the output, and nothing is joined (`joinVideoSegments`
   * does that once every segment is committed). Segments of one output may run at once, in any process.
   */
  segment?: number;
  onProgress?: (p: VideoProgress) => void;
  /** Called once the source is probed (what the CLI and app show). */
  onInfo?: (info: VideoSource['info']) => void;
}

export interface VideoUpscaleResult {
  input: string;
  output: string;
  width: number;
  height: number;
  frames: number;
  /** Frames per second over the frames this run inferred. */
  fps: number;
  codec: VideoCodec;
  ms: number;
  model: string;
  /** Why Automatic chose the model ("robust: noise σ≈6.2"); absent when the model was given. */
  reason?: string;
  backend: string;
  /** Frames taken from segments committed by an earlier, interrupted run. */
  resumedFrames: number;
  warnings: string[];
}

export const DEFAULT_SEGMENT_FRAMES = 120;

function abortError(): Error {
  return Object.assign(new Error('canceled'), { name: 'AbortError' });
}

/** The output's path: a file `<stem>.<container>` for video codecs, a folder `<stem>` for sequences. */
export function videoOutputName(inputPath: string, plan: Pick<EncodePlan, 'sequence' | 'container'>): string {
  const name = basename(inputPath.replace(/[\\/]+$/, ''));
  const stem = isSequencePattern(name) ? sequenceStem(name) : basename(name, extname(name));
  return plan.sequence ? stem : `${stem}.${plan.container}`;
}


const MATRIX: Record<string, string> = {
  bt709: 'bt709', smpte170m: 'smpte170m', bt470bg: 'bt470', fcc: 'fcc', smpte240m: 'smpte240m', bt2020nc: 'bt2020', bt2020c: 'bt2020',
};

function scaleMatrix(colour: ColourTags): string {
  return (colour.matrix && MATRIX[colour.matrix]) || 'bt601';
}

const SWS_FLAGS = 'bicubic+accurate_rnd+full_chroma_int';

function decodeFilter(source: VideoSource, raw: RawFormat, deflicker: boolean, range?: { start: number; end: number | null }): string {
  const { colour } = source.info;
  const parts: string[] = [];
  if (source.kind === 'video') parts.push('showinfo');
  if (deflicker) parts.push('deflicker');
  // One segment: showinfo (first) still numbers every decoded frame; only the segment's frames reach the pipe, and a
  // temporal filter (deflicker) sees the same neighbours as in one pass. Trimming before the colour conversion spares
  // it the frames before the segment (the decoder still decodes them).
  if (range) parts.push(`trim=start_frame=${range.start}${range.end === null ? '' : `:end_frame=${range.end}`}`);
  const inRange = colour.range ? `:in_range=${colour.range}` : '';
  parts.push(`scale=in_color_matrix=${scaleMatrix(colour)}${inRange}:flags=${SWS_FLAGS}`, `format=${raw.pixFmt}`);
  return parts.join(',');
}

function encodeFilter(plan: EncodePlan, colour: ColourTags): string {
  if (pixelFormatFacts(plan.pixFmt).family !== 'yuv') return `format=${plan.pixFmt}`;
  return `scale=out_color_matrix=${scaleMatrix(colour)}:out_range=${colour.range ?? 'tv'}:flags=${SWS_FLAGS},format=${plan.pixFmt}`;
}

function colourArgs(plan: EncodePlan, colour: ColourTags): string[] {
  if (plan.sequence) return [];
  const args: string[] = [];
  if (colour.primaries) args.push('-color_primaries', colour.primaries);
  if (colour.transfer) args.push('-color_trc', colour.transfer);
  const yuv = pixelFormatFacts(plan.pixFmt).family === 'yuv';
  if (yuv && colour.matrix) args.push('-colorspace', colour.matrix);
  if (yuv) args.push('-color_range', colour.range ?? 'tv');
  return args;
}

interface SegmentMeta { frames: number; firstPts: string }

interface Job {
  tools: FfmpegTools;
  source: VideoSource;
  plan: EncodePlan;
  output: string;
  partsDir: string;
  segmentFrames: number;
  outWidth: number;
  outHeight: number;
  raw: RawFormat;
  /** Source time base as [num, den]. */
  timeBase: [number, number];
  /** Container of the segments: Matroska for Matroska outputs (MOV drops FFV1's colour range), else MOV (exact timescale). */
  segmentContainer: 'mkv' | 'mov';
}

/** What every step of one output's run shares (one pass, one segment, the join). */
function jobFor(tools: FfmpegTools, source: VideoSource, plan: EncodePlan, output: string, segmentFrames: number | undefined, scale: number): Job {
  const { info } = source;
  const [tbNum, tbDen] = info.timeBase.split('/').map(Number);
  return {
    tools, source, plan, output, partsDir: partsDirFor(output),
    segmentFrames: Math.max(1, Math.floor(segmentFrames ?? DEFAULT_SEGMENT_FRAMES)),
    raw: rawFormatFor(pixelFormatFacts(info.pixFmt)),
    outWidth: info.width * scale, outHeight: info.height * scale,
    timeBase: [tbNum || 1, tbDen || 1000],
    segmentContainer: plan.container === 'mkv' ? 'mkv' : 'mov',
  };
}

const segName = (k: number, ext: string): string => `seg-${String(k).padStart(6, '0')}.${ext}`;

/** Sets up the parts folder: reuses it when it belongs to the same input and settings, else starts it afresh. */
async function openParts(partsDir: string, key: string): Promise<Set<number>> {
  const keyFile = join(partsDir, 'job.json');
  const previous = await readFile(keyFile, 'utf8').catch(() => undefined);
  if (previous !== key) {
    await rm(partsDir, { recursive: true, force: true });
    await mkdir(partsDir, { recursive: true });
    await writeFileAtomic(keyFile, key);
    return new Set();
  }
  const committed = new Set<number>();
  for (const entry of await readdir(partsDir)) {
    const m = /^seg-(\d{6})\.json$/.exec(entry);
    if (m) committed.add(Number(m[1]));
    // Leftovers of a segment that was being written when the run stopped.
    if (/\.tmp|subpixel-tmp/.test(entry)) await rm(join(partsDir, entry), { recursive: true, force: true });
  }
  return committed;
}

/**
 * The parts folder for one segment of a run split across processes: made if missing, never reset (other segments may
 * be writing into it; whoever splits the run clears a stale folder first). Removes only this segment's leftovers.
 * Returns whether the segment is already committed (a retry after a crash that came after the commit).
 */
async function openSegmentParts(partsDir: string, key: string, segment: number): Promise<boolean> {
  await mkdir(partsDir, { recursive: true });
  const keyFile = join(partsDir, 'job.json');
  const previous = await readFile(keyFile, 'utf8').catch(() => undefined);
  if (previous === undefined) await writeFileAtomic(keyFile, key);
  else if (previous !== key) throw new VideoError('options', `the segments beside the output belong to another input or other settings (${partsDir})`);
  const own = segName(segment, 'tmp');
  for (const entry of await readdir(partsDir)) {
    if (entry.startsWith(own) || entry.startsWith(`.${segName(segment, 'json')}.subpixel-tmp`)) {
      await rm(join(partsDir, entry), { recursive: true, force: true });
    }
  }
  return stat(join(partsDir, segName(segment, 'json'))).then(() => true, () => false);
}

/** An encoder for one segment: started on its first frame, committed after its last. */
interface SegmentWriter {
  index: number;
  frames: number;
  firstPts: bigint;
  proc: FfmpegProcess;
  pending: Promise<void>;
  tmp: string;
}

function startSegment(job: Job, index: number, firstPts: bigint): SegmentWriter {
  const { plan, source, partsDir, tools } = job;
  const tmp = join(partsDir, plan.sequence ? `seg-${String(index).padStart(6, '0')}.tmp` : `${segName(index, 'tmp')}.${job.segmentContainer}`);
  const [num, den] = job.timeBase;
  const args = [
    '-nostdin', '-hide_banner', '-loglevel', 'error',
    '-f', 'matroska', '-i', 'pipe:0', '-map', '0:v:0',
    '-vf', encodeFilter(plan, source.info.colour),
    '-c:v', plan.encoder, ...plan.args, '-pix_fmt', plan.pixFmt,
    '-vsync', 'passthrough',
  ];
  if (plan.sequence) {
    mkdirSync(tmp, { recursive: true });
    args.push('-f', 'image2', '-start_number', String(index * job.segmentFrames), join(tmp, `%09d.${plan.container}`));
  } else {
    args.push('-copyts', '-enc_time_base', `${num}/${den}`, ...colourArgs(plan, source.info.colour));
    if (job.segmentContainer === 'mov') args.push('-video_track_timescale', String(den), '-movie_timescale', String(den), '-f', 'mov', tmp);
    else args.push('-f', 'matroska', tmp);
  }
  const proc = spawnFfmpeg(tools.ffmpeg, args, `encoding segment ${index}`);
  const writer: SegmentWriter = { index, frames: 0, firstPts, proc, pending: Promise.resolve(), tmp };
  writer.pending = writeTo(proc, matroskaHeader(job.outWidth, job.outHeight, job.raw));
  return writer;
}

function ptsToNs(pts: bigint, [num, den]: [number, number]): bigint {
  const scaled = pts * BigInt(num) * 1_000_000_000n;
  const d = BigInt(den);
  // Round half away from zero so the encoder's time base maps it back exactly.
  return scaled >= 0n ? (scaled + d / 2n) / d : (scaled - d / 2n) / d;
}

/** Closes a segment's encoder and commits it: sidecar first, then the atomic rename that makes it count. */
async function commitSegment(job: Job, writer: SegmentWriter): Promise<void> {
  await writer.pending;
  writer.proc.child.stdin.end();
  await writer.proc.done;
  const meta: SegmentMeta = { frames: writer.frames, firstPts: writer.firstPts.toString() };
  if (job.plan.sequence) {
    // Frames move into the output folder under the input's numbers; the marker commits the segment.
    await mkdir(job.output, { recursive: true });
    const first = writer.index * job.segmentFrames;
    for (let i = 0; i < writer.frames; i++) {
      const from = join(writer.tmp, `${String(first + i).padStart(9, '0')}.${job.plan.container}`);
      await syncFile(from);
      await rename(from, join(job.output, outputFrameName(job, first + i)));
    }
    await syncFolder(job.output);
    await rm(writer.tmp, { recursive: true, force: true });
  } else {
    // Data on disk before the rename; the sidecar's atomic write below then flushes the folder, renames and all.
    await syncFile(writer.tmp);
    await rename(writer.tmp, join(job.partsDir, segName(writer.index, job.segmentContainer)));
  }
  await writeFileAtomic(join(job.partsDir, segName(writer.index, 'json')), JSON.stringify(meta));
}

function outputFrameName(job: Job, index: number): string {
  const seq = job.source.sequence;
  const ext = `.${job.plan.container}`;
  if (seq) return frameName({ prefix: seq.prefix, padding: seq.padding, suffix: ext }, seq.numbers[index]);
  const stem = basename(job.output);
  return `${stem}_${String(index + 1).padStart(6, '0')}${ext}`;
}

/** Joins committed segments and the source's other streams into the output, atomically. */
async function joinSegments(job: Job, segments: number, warnings: string[]): Promise<void> {
  const { partsDir, tools, source, output, plan } = job;
  const [num, den] = job.timeBase;
  const metas: SegmentMeta[] = [];
  for (let k = 0; k < segments; k++) metas.push(JSON.parse(await readFile(join(partsDir, segName(k, 'json')), 'utf8')) as SegmentMeta);
  // Each segment keeps absolute timestamps: inpoint = its first timestamp and duration up to the next one make the
  // concat demuxer add exactly zero to every packet (both in whole microseconds, rounded down the same way, to the
  // segment container's tick so no packet lies before its inpoint).
  const tickUs = job.segmentContainer === 'mkv' ? 1000n : 1n;
  const micros = (pts: string): bigint => ((BigInt(pts) * BigInt(num) * 1_000_000n) / BigInt(den) / tickUs) * tickUs;
  const seconds = (us: bigint): string => `${us / 1_000_000n}.${String(us % 1_000_000n).padStart(6, '0')}`;
  const starts = metas.map((m, k) => (k === 0 ? 0n : micros(m.firstPts)));
  let list = 'ffconcat version 1.0\n';
  for (let k = 0; k < segments; k++) {
    list += `file '${segName(k, job.segmentContainer)}'\ninpoint ${seconds(starts[k])}\n`;
    if (k + 1 < segments) list += `duration ${seconds(starts[k + 1] - starts[k])}\n`;
  }
  const listPath = join(partsDir, 'segments.ffconcat');
  await writeFile(listPath, list);
  const tmp = join(partsDir, `joined.tmp.${plan.container}`);
  const hasOthers = source.kind === 'video' && source.info.others.some((s) => s.type !== 'attachment');
  const attempt = async (withSubtitlesAndData: boolean): Promise<void> => {
    const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-copyts', '-f', 'concat', '-safe', '0', '-i', listPath];
    if (hasOthers) args.push('-i', source.path);
    args.push('-map', '0:v:0');
    if (hasOthers) {
      args.push('-map', '1:a?');
      if (withSubtitlesAndData) args.push('-map', '1:s?', '-map', '1:d?');
      args.push('-map_metadata', '1', '-map_chapters', '1');
    }
    args.push('-c', 'copy');
    // Track and movie timescales of the source's time base keep every timestamp (and edit list) exact.
    if (plan.container === 'mp4' || plan.container === 'mov') args.push('-video_track_timescale', String(den), '-movie_timescale', String(den), '-movflags', '+faststart');
    args.push('-f', MUXERS[plan.container], tmp);
    await spawnFfmpeg(tools.ffmpeg, args, 'joining segments').done;
  };
  try {
    await attempt(true);
  } catch (error) {
    const dropped = source.info.others.filter((s) => s.type === 'subtitle' || s.type === 'data');
    if (!dropped.length) throw error;
    await attempt(false);
    warnings.push(`${plan.container.toUpperCase()} cannot hold ${dropped.map((s) => `${s.type} stream ${s.index} (${s.codec})`).join(', ')}: left out (choose a container that can, e.g. the input's)`);
  }
  await syncFile(tmp);
  await rename(tmp, output);
  await syncFolder(dirname(output));
}

/**
 * Upscales a video file or frame sequence. `output` is the video file, or the folder of a sequence output.
 * Interrupted runs resume from their committed segments when called again with the same input and settings.
 */
export async function upscaleVideo(input: string, output: string, options: VideoUpscaleOptions): Promise<VideoUpscaleResult> {
  const started = performance.now();
  const { signal } = options;
  const tools = await findFfmpeg(options.ffmpegPath);
  const source = await openSource(tools, input, { allowGaps: options.allowGaps, sequenceRate: options.sequenceRate });
  options.onInfo?.(source.info);
  const info = source.info;
  // Automatic (no model given): the robust or the clean model of the scale, from a few sampled frames.
  const choice = options.model || !options.scale ? undefined : await chooseVideoModel(tools, source, options.scale, options.modelSearchPaths);
  const engine = await loadEngineModel({ ...options, ...(choice ? { model: choice.model } : {}) });
  const scale = engine.model.weights.spec.scale;
  const codec = options.codec ?? DEFAULT_VIDEO_CODEC;
  const plan = await planEncode(tools, { codec, crf: options.crf, inputExt: source.kind === 'video' ? extname(source.path) : '', sourcePixFmt: info.pixFmt, alpha: info.alpha });
  const raw = rawFormatFor(pixelFormatFacts(info.pixFmt));
  const job = jobFor(tools, source, plan, output, options.segmentFrames, scale);
  const { segmentFrames, partsDir } = job;
  await mkdir(dirname(output), { recursive: true });
  const key = JSON.stringify({
    v: 1, input: source.path, fingerprint: source.fingerprint, model: engine.model.id, scale, codec, crf: options.crf ?? null,
    pixFmt: plan.pixFmt, deflicker: options.deflicker ?? false, segmentFrames, rate: info.frameRate,
  });
  const only = options.segment;
  const total = info.frames;
  const segments = Math.max(1, Math.ceil(total / segmentFrames));
  if (only !== undefined && !(Number.isInteger(only) && only >= 0 && only < segments)) {
    throw new VideoError('options', `segment ${only} is outside the ${segments} segments of ${total} frames`);
  }
  // One segment: frames [first, end) (the last segment takes every frame the decoder gives).
  const first = only === undefined ? 0 : only * segmentFrames;
  const last = only === undefined || only === segments - 1;
  const end = last ? total : first + segmentFrames;
  let committed: Set<number>;
  if (only === undefined) committed = await openParts(partsDir, key);
  else {
    if (await openSegmentParts(partsDir, key, only)) {
      const meta = JSON.parse(await readFile(join(partsDir, segName(only, 'json')), 'utf8')) as SegmentMeta;
      return {
        input: source.path, output, width: job.outWidth, height: job.outHeight, frames: meta.frames, fps: 0, codec,
        ms: Math.round(performance.now() - started), model: engine.model.id, ...(choice ? { reason: choice.reason } : {}), backend: 'none', resumedFrames: meta.frames, warnings: [],
      };
    }
    committed = new Set();
  }
  const tileSessions = await tileSessionsFor(engine, raw.channels);
  const ran = tileSessions.pixels ?? tileSessions.model;
  const spec = engine.model.weights.spec;
  const warnings: string[] = [];

  // Frame timestamps of a video come from showinfo in the decoder's log (a raw pipe carries none); a sequence's
  // frames are evenly spaced at its rate.
  const ptsList: bigint[] = [];
  let ptsWaiter: (() => void) | undefined;
  // Damaged pictures the decoder concealed: reported as a warning (many real files have a few), not a failure.
  const decodeErrors: string[] = [];
  const onLine = (line: string): void => {
    const m = /\] (?:\[info\] )?n:\s*(\d+) pts:\s*(-?\d+)/.exec(line);
    if (m) { ptsList[Number(m[1])] = BigInt(m[2]); ptsWaiter?.(); return; }
    if (/\[(error|fatal)\]/.test(line)) decodeErrors.push(line.replace(/^\[[^\]]* @ 0x[0-9a-f]+\] /, '').replace(/\[(error|fatal)\] /, ''));
  };
  const decodeArgs = [
    '-nostdin', '-hide_banner', '-nostats', '-loglevel', 'level+info',
    ...await source.inputArgs(partsDir),
    '-map', source.kind === 'video' ? `0:${info.streamIndex}` : '0:v:0',
    '-vf', decodeFilter(source, raw, options.deflicker ?? false, only === undefined ? undefined : { start: first, end: last ? null : end }),
    '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', raw.pixFmt, 'pipe:1',
  ];
  const decoder = spawnFfmpeg(tools.ffmpeg, decodeArgs, 'decoding', onLine);
  decoder.child.stdin.end();
  let decoderClosed = false;
  decoder.done.then(() => { decoderClosed = true; ptsWaiter?.(); }, () => { decoderClosed = true; ptsWaiter?.(); });
  const ptsOf = async (index: number): Promise<bigint> => {
    if (source.kind === 'sequence') return BigInt(index);
    while (ptsList[index] === undefined) {
      if (decoderClosed) throw new VideoError('corrupt', `no timestamp for frame ${index}`);
      await new Promise<void>((resolve) => { ptsWaiter = resolve; });
    }
    return ptsList[index];
  };

  let resumedFrames = 0;
  let inferred = 0;
  let inferStarted = 0;
  let writer: SegmentWriter | undefined;
  let commits = Promise.resolve();
  const bytes = frameBytes(info.width, info.height, raw);
  const frames = readFrames(decoder.child.stdout, bytes);
  let index = first;
  const onAbort = (): void => { decoder.kill(); writer?.proc.kill(); };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let next = frames.next();
    for (;;) {
      const item = await next;
      if (item.done) break;
      const data = item.value;
      next = frames.next();
      if (signal?.aborted) throw abortError();
      const seg = only ?? Math.floor(index / segmentFrames);
      if (committed.has(seg)) { resumedFrames++; index++; continue; }
      const pts = await ptsOf(index);
      if (!writer || writer.index !== seg) {
        if (writer) { const done = writer; commits = commits.then(() => commitSegment(job, done)); }
        writer = startSegment(job, seg, pts);
      }
      const raster: Raster = {
        data: raw.bitDepth === 16 ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        width: info.width, height: info.height, channels: raw.channels, bitDepth: raw.bitDepth,
      };
      if (!inferStarted) inferStarted = performance.now();
      const runFrame = () => upscaleRaster(raster, tileSessions, spec, { tile: options.tile, signal });
      const out = options.inferenceLock ? await options.inferenceLock.run(runFrame) : await runFrame();
      const outBytes = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
      const w = writer;
      // The encoder takes the previous frame while this one was inferred; wait for it before queueing this one.
      await w.pending;
      w.pending = writeTo(w.proc, matroskaFramePrefix(ptsToNs(pts, job.timeBase), outBytes.byteLength))
        .then(() => writeTo(w.proc, outBytes));
      w.frames++;
      inferred++;
      index++;
      const elapsed = (performance.now() - inferStarted) / 1000;
      options.onProgress?.({ framesDone: index - first, framesTotal: Math.max(end - first, index - first), fps: elapsed > 0 ? inferred / elapsed : 0 });
    }
    await decoder.done.catch((error: Error) => {
      if (signal?.aborted) throw abortError();
      throw new VideoError('corrupt', `truncated or corrupt: ${error.message}`);
    });
    if (index < end) {
      const why = decodeErrors[0] ?? decoder.tail();
      throw new VideoError('corrupt', `truncated or corrupt: decoded ${index} of ${total} frames${why ? ` (${why})` : ''}`);
    }
    if (only !== undefined && index === first) throw new VideoError('corrupt', `segment ${only} has no frames`);
    if (writer) { const done = writer; commits = commits.then(() => commitSegment(job, done)); writer = undefined; }
    await commits;
    if (decodeErrors.length) {
      warnings.push(`the decoder reported ${decodeErrors.length} error${decodeErrors.length === 1 ? '' : 's'} (damaged pictures were concealed): ${decodeErrors[0]}`);
    }
    if (only === undefined) {
      if (!plan.sequence) await joinSegments(job, Math.ceil(index / segmentFrames), warnings);
      await rm(partsDir, { recursive: true, force: true });
    }
    const inferSeconds = inferStarted ? (performance.now() - inferStarted) / 1000 : 0;
    return {
      input: source.path, output, width: job.outWidth, height: job.outHeight, frames: index - first,
      fps: inferSeconds > 0 ? Math.round((inferred / inferSeconds) * 100) / 100 : 0,
      codec, ms: Math.round(performance.now() - started), model: engine.model.id, ...(choice ? { reason: choice.reason } : {}), backend: `${ran.backend}/${ran.device}`,
      resumedFrames, warnings,
    };
  } catch (error) {
    decoder.kill();
    writer?.proc.kill();
    await commits.catch(() => {});
    if (writer) await rm(writer.tmp, { recursive: true, force: true }).catch(() => {});
    if (signal?.aborted) throw abortError();
    // Bad input makes its segments worthless (a fixed file has another fingerprint and starts afresh): clean them.
    // Other failures (the encoder, the disk) keep them, so a retry goes on where this run stopped.
    if (only === undefined && error instanceof VideoError && error.errorCode === 'invalid_input') await rm(partsDir, { recursive: true, force: true }).catch(() => {});
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    void frames.return(undefined);
  }
}

export type VideoJoinOptions = Pick<VideoUpscaleOptions, 'codec' | 'crf' | 'allowGaps' | 'sequenceRate' | 'ffmpegPath' | 'segmentFrames'>;

/**
 * The join step of a run split into segments (`segment` option): once every segment is committed in the parts
 * folder, joins them with the source's other streams into the output exactly as one pass does (a sequence's frames
 * are already in place), then removes the parts folder. The options are those the segments were made with.
 */
export async function joinVideoSegments(input: string, output: string, options: VideoJoinOptions): Promise<{ output: string; frames: number; warnings: string[] }> {
  const tools = await findFfmpeg(options.ffmpegPath);
  const source = await openSource(tools, input, { allowGaps: options.allowGaps, sequenceRate: options.sequenceRate });
  const { info } = source;
  const plan = await planEncode(tools, { codec: options.codec ?? DEFAULT_VIDEO_CODEC, crf: options.crf, inputExt: source.kind === 'video' ? extname(source.path) : '', sourcePixFmt: info.pixFmt, alpha: info.alpha });
  const job = jobFor(tools, source, plan, output, options.segmentFrames, 0);
  const { segmentFrames, partsDir } = job;
  const segments = Math.max(1, Math.ceil(info.frames / segmentFrames));
  let frames = 0;
  for (let k = 0; k < segments; k++) {
    const text = await readFile(join(partsDir, segName(k, 'json')), 'utf8').catch(() => undefined);
    if (text === undefined) throw new VideoError('corrupt', `segment ${k} of ${segments} is not committed in ${partsDir}`);
    frames += (JSON.parse(text) as SegmentMeta).frames;
  }
  const warnings: string[] = [];
  if (!plan.sequence) await joinSegments(job, segments, warnings);
  await rm(partsDir, { recursive: true, force: true });
  return { output, frames, warnings };
}

/** Whether an output (file or sequence folder) is complete: no parts folder left beside it. */
export async function videoOutputComplete(output: string): Promise<boolean> {
  const exists = await stat(output).then(() => true, () => false);
  return exists && !(await hasUnfinishedParts(output));
}
