import type { EngineClient } from '../workers/engine-client.js';
import { outputFileTypeFor } from './naming.js';
import { DEFAULT_VIDEO_OPTIONS, isVideoInput } from '../../src-common/video.js';
import type { JobSettings, OutputPlan, RunJob, Runner } from './types.js';

export interface EngineRunnerOptions {
  /** Extra model folders searched before the defaults (user models under the state folder). */
  modelSearchPaths?: string[];
  backend?: 'auto' | 'onnx' | 'tfjs';
  /** LR tile edge; 0 = automatic. */
  tile?: number;
  /** Frames per resumable video segment (default: the video module's). */
  videoSegmentFrames?: number;
  /** The ffmpeg executable from the settings (null: SUBPIXEL_FFMPEG, bundled, PATH). */
  ffmpegPath?: string | null;
}

/** The production runner: one queue item = one upscaleFile call on the engine worker (which writes temp + rename). */
export function engineRunner(client: EngineClient, options: EngineRunnerOptions = {}): Runner {
  return async (job, hooks) => {
    const { video, format: _format, quality: _quality, keepMetadata: _keep, ...common } = job.options;
    if (video) {
      // sequenceFolders decided what the item is when it was added; the run has nothing to do with it.
      const { sequenceFolders: _folders, ...encoding } = video;
      const result = await client.upscaleVideo(job.input, job.output, {
        ...common,
        ...encoding,
        ...(options.modelSearchPaths ? { modelSearchPaths: options.modelSearchPaths } : {}),
        ...(options.backend ? { backend: options.backend } : {}),
        ...(options.tile ? { tile: options.tile } : {}),
        ...(options.videoSegmentFrames ? { segmentFrames: options.videoSegmentFrames } : {}),
        ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
        ...(job.segment ? { segment: job.segment.index, segmentFrames: job.segment.frames } : {}),
      }, {
        signal: hooks.signal,
        onProgress: (p) => {
          hooks.onFrames?.(p);
          hooks.onProgress({ tilesDone: p.framesDone, tilesTotal: p.framesTotal });
        },
      });
      const { output, width, height, ms, frames, fps, codec, model, reason } = result;
      return { output, width, height, ms, frames, fps, codec, model, ...(reason ? { reason } : {}) };
    }
    const result = await client.upscaleFile(job.input, job.output, {
      ...job.options,
      ...(options.modelSearchPaths ? { modelSearchPaths: options.modelSearchPaths } : {}),
      ...(options.backend ? { backend: options.backend } : {}),
      ...(options.tile ? { tile: options.tile } : {}),
    }, hooks);
    return {
      output: result.output, width: result.width, height: result.height, ms: result.ms, model: result.model,
      ...(result.reason ? { reason: result.reason } : {}),
    };
  };
}

/** The concrete engine job for one input whose output path is decided (local queue and cluster workers alike). */
export function runJobFor(id: string, input: string, settings: JobSettings, plan: OutputPlan): RunJob {
  const { format } = outputFileTypeFor(input, settings.format);
  return {
    id,
    input,
    output: plan.path,
    plan,
    options: {
      ...(settings.model ? { model: settings.model } : {}),
      scale: settings.scale, format, quality: settings.quality, keepMetadata: settings.keepMetadata,
      ...(isVideoInput(input) ? { video: { ...DEFAULT_VIDEO_OPTIONS, ...settings.video } } : {}),
    },
  };
}
