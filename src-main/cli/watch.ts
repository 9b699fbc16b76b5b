import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { openAppServices, type AppServices } from '../api/services.js';
import { parseRedisUrl, redactRedisUrl, redisUrlFrom } from '../cluster/redis.js';
import { escapeControl } from '../common/sticky-log.js';
import { OUTPUT_FORMATS, type JobSettingsInput, type LogEntry } from '../jobs/types.js';

interface WatchCliOptions {
  output: string;
  scale: 2 | 3 | 4;
  model?: string;
  format: JobSettingsInput['format'];
  quality?: number;
  recursive: boolean;
  redis?: string | true;
}

function parseScale(value: string): 2 | 3 | 4 {
  if (value === '2' || value === '3' || value === '4') return Number(value) as 2 | 3 | 4;
  throw new InvalidArgumentError('scale must be 2, 3 or 4');
}

function parseFormat(value: string): JobSettingsInput['format'] {
  const formats = ['keep', ...OUTPUT_FORMATS] as const;
  const found = formats.find((f) => f === value.toLowerCase());
  if (!found) throw new InvalidArgumentError(`format must be one of ${formats.join(', ')}`);
  return found;
}

function parseQuality(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError('quality must be an integer 1..100');
  return n;
}

/** `subpixel watch <folder…> -o <dir> -s <scale>`: the app's services, headless, watching the given folders until stopped. */
export function registerWatchCommand(program: Command): void {
  program.command('watch')
    .description('watch folders and upscale every image that lands in them, until stopped (Ctrl+C / SIGTERM)')
    .argument('<folders...>', 'folders to watch')
    .requiredOption('-o, --output <dir>', 'output folder (sub-folders of a watched folder are kept)')
    .requiredOption('-s, --scale <n>', 'scale factor: 2, 3 or 4', parseScale)
    .option('-m, --model <id>', 'model id or folder (default: the default model for the scale)')
    .option('--format <format>', `output format: keep, ${OUTPUT_FORMATS.join(', ')}`, parseFormat, 'keep')
    .option('--quality <n>', 'quality 1..100 for jpg, webp and avif', parseQuality)
    .option('--recursive', 'also watch sub-folders', false)
    .option('--redis [url]', 'run the images on the worker pool behind this Redis (redis:// or rediss://; without a value: $SUBPIXEL_REDIS_URL)')
    .action(async (folders: string[], options: WatchCliOptions) => {
      await runWatch(folders, options);
    });
}

async function runWatch(folders: string[], options: WatchCliOptions): Promise<void> {
  // Signal handlers go in before anything is printed or opened: a supervisor that stops us as soon as it reads the
  // "watching" line (or while the services still open) must get a clean stop, not the default kill.
  const stopped = new Promise<NodeJS.Signals>((resolveStop) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        console.error(`${signal} again: exiting now (the running item stays queued)`);
        process.exit(130);
      }
      stopping = true;
      resolveStop(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

  const redisUrl = options.redis === undefined ? undefined : redisUrlFrom(options.redis);
  if (redisUrl) parseRedisUrl(redisUrl);
  const services = await openAppServices({ startWatches: false, startTraining: false, role: 'subpixel watch', ...(redisUrl ? { redisUrl } : {}) });
  try {
    await watchFolders(services, folders, options);
  } catch (error) {
    await services.close();
    throw error;
  }
  const signal = await stopped;
  console.error(`${signal}: stopping (the running item stays queued for next time)`);
  try {
    await services.close();
  } catch (error) {
    console.error(`error while stopping: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}

async function watchFolders(services: AppServices, folders: string[], options: WatchCliOptions): Promise<void> {
  const { paths, settings, queue, watch: watches } = services;
  for (const w of settings.warnings) console.error(`warning: ${w}`);
  for (const note of services.lock.notes) console.error(`warning: ${note}`);

  queue.on('item', (item) => {
    if (item.state === 'done') console.log(`done    ${escapeControl(item.input)} -> ${escapeControl(item.output ?? '')}`);
    else if (item.state === 'skipped') console.log(`skipped ${escapeControl(item.input)}: ${escapeControl(item.error ?? '')}`);
  });
  // Recovery notes made while the services opened reach these listeners too (they are replayed on attach).
  const print = (e: LogEntry): void => console.error(`${e.level}: ${escapeControl(e.message)}`);
  queue.on('log', print);
  watches.on('log', print);
  watches.on('activity', (a) => {
    if (a.kind === 'queued') console.log(`queued  ${escapeControl(a.path ?? '')}`);
    else if (a.kind === 'unavailable' || a.kind === 'available' || a.kind === 'error' || a.kind === 'moved' || a.kind === 'unchanged') {
      console.error(`${a.kind}: ${a.path ? `${escapeControl(a.path)} ` : ''}${escapeControl(a.message ?? '')}`);
    }
  });

  const settingsFor = (): JobSettingsInput => ({
    ...settings.get().jobDefaults,
    scale: options.scale,
    model: options.model ?? null,
    format: options.format,
    ...(options.quality ? { quality: options.quality } : {}),
    outputDir: resolve(options.output),
  });
  // A folder watched before keeps its id (and so its ledger): only its settings are brought up to date.
  for (const folder of folders.map((f) => resolve(f))) {
    const existing = watches.list().find((w) => w.folder === folder);
    const config = { folder, settings: settingsFor(), recursive: options.recursive, paused: false };
    if (existing) await watches.update(existing.id, config);
    else await watches.add(config);
  }
  const pool = options.redis === undefined ? '' : `; images run on the worker pool at ${redactRedisUrl(redisUrlFrom(options.redis))}`;
  console.error(`watching ${folders.length} folder(s); state in ${paths.home}${pool}; Ctrl+C to stop`);
}
