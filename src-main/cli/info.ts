import type { Command } from 'commander';
import { probeBackends } from '../engine/backends/select.js';
import { defaultModelDirs, familyOf, listModels } from '../engine/models/store.js';
import { macsPerPixel } from '../engine/models/spec.js';
import { packageVersion } from '../common/version.js';
import { printJson } from './output.js';
import { ffmpegInfo } from '../video/ffmpeg.js';

export async function systemInfo() {
  const [backends, { models, problems }, ffmpeg] = await Promise.all([probeBackends(), listModels(defaultModelDirs()), ffmpegInfo()]);
  return {
    version: packageVersion(),
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    backends,
    /** FFmpeg for video and frame sequences (stills work without it). */
    ffmpeg,
    models: models.map((m) => ({
      id: m.id,
      scale: m.scale,
      channels: m.channels,
      architecture: m.spec.name,
      family: familyOf(m),
      macsPerPixel: macsPerPixel(m.spec),
      path: m.dir,
      scores: m.entry?.scores,
    })),
    modelFolders: defaultModelDirs(),
    problems,
  };
}

export function registerInfoCommand(program: Command): void {
  program
    .command('info')
    .description('version, inference backends and devices, installed models')
    .option('--json', 'print one JSON document')
    .action(async (options: { json?: boolean }) => {
      const info = await systemInfo();
      if (options.json) { printJson(info); return; }
      const out = (line: string): boolean => process.stdout.write(`${line}\n`);
      out(`subpixel ${info.version} (node ${info.node}, ${info.platform})`);
      out('backends:');
      for (const b of info.backends) out(`  ${b.available ? '✓' : '✗'} ${b.name.padEnd(14)} ${b.available ? b.devices.join(', ') : b.reason ?? ''}`);
      out(info.ffmpeg.available
        ? `ffmpeg: ${info.ffmpeg.version} (${info.ffmpeg.path}, ${info.ffmpeg.source})`
        : `ffmpeg: not found: video and frame sequences are unavailable, stills work (${info.ffmpeg.reason})`);
      out(`models (${info.modelFolders.join(', ')}):`);
      if (!info.models.length) out('  none installed');
      for (const m of info.models) {
        const set5 = m.scores?.Set5?.[`x${m.scale}`];
        out(`  ${m.id.padEnd(20)} x${m.scale} ${m.channels === 1 ? 'Y  ' : 'RGB'} ${m.architecture.padEnd(10)} ${m.family.padEnd(6)} ${String(m.macsPerPixel).padStart(6)} MAC/px${set5 ? `  Set5 ${set5.psnr.toFixed(2)} dB` : ''}`);
      }
      for (const p of info.problems) out(`  ! ${p}`);
    });
}
