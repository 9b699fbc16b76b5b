import { basename, join } from 'node:path';
import type { InputFile } from '../jobs/expand.js';

/** One part of a batch split across independent machines: part `index` (1-based) of `count`. */
export interface Shard { index: number; count: number }

/** Where `--shard auto` found its part (for the log line). */
export interface ResolvedShard extends Shard { source: string }

function positiveInt(text: string | undefined): number | null {
  if (text === undefined || !/^\d+$/.test(text.trim())) return null;
  return Number(text.trim());
}

/** `k/n` with 1 ≤ k ≤ n, as in `split -n l/k/n`. */
export function parseShardSpec(spec: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  if (!m) throw new Error(`--shard must be k/n (for example 2/8) or auto (got '${spec}')`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1) throw new Error(`--shard ${spec}: n must be at least 1`);
  if (index < 1 || index > count) throw new Error(`--shard ${spec}: k must be between 1 and ${count}`);
  return { index, count };
}

/**
 * `--shard auto`: the part a batch scheduler gave this process. Kubernetes Indexed Jobs set JOB_COMPLETION_INDEX
 * (0-based); Kubernetes does not pass the number of completions, so the manifest sets JOB_COMPLETIONS next to
 * spec.completions (deploy/kubernetes-indexed-job.yaml). Slurm job arrays set
 * SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT and SLURM_ARRAY_TASK_MIN (ids run from MIN, not always from 0;
 * arrays with a step, --array=0-10:2, are numbered by position through SLURM_ARRAY_TASK_STEP).
 */
export function shardFromEnv(env: NodeJS.ProcessEnv): ResolvedShard {
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    const index = positiveInt(env.JOB_COMPLETION_INDEX);
    const count = positiveInt(env.JOB_COMPLETIONS);
    if (index === null) throw new Error(`--shard auto: JOB_COMPLETION_INDEX is not a number (got '${env.JOB_COMPLETION_INDEX}')`);
    if (count === null || count < 1) {
      throw new Error('--shard auto: JOB_COMPLETION_INDEX is set but JOB_COMPLETIONS is not: set it in the pod template to spec.completions');
    }
    if (index >= count) throw new Error(`--shard auto: JOB_COMPLETION_INDEX ${index} is not below JOB_COMPLETIONS ${count}`);
    return { index: index + 1, count, source: `Kubernetes index ${index} of ${count}` };
  }
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    const id = positiveInt(env.SLURM_ARRAY_TASK_ID);
    const count = positiveInt(env.SLURM_ARRAY_TASK_COUNT);
    const min = positiveInt(env.SLURM_ARRAY_TASK_MIN ?? '0');
    const step = positiveInt(env.SLURM_ARRAY_TASK_STEP ?? '1');
    if (id === null) throw new Error(`--shard auto: SLURM_ARRAY_TASK_ID is not a number (got '${env.SLURM_ARRAY_TASK_ID}')`);
    if (count === null || count < 1) throw new Error('--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not');
    if (min === null || step === null || step < 1) throw new Error('--shard auto: SLURM_ARRAY_TASK_MIN / SLURM_ARRAY_TASK_STEP are not numbers');
    if (id < min || (id - min) % step !== 0) {
      throw new Error(`--shard auto: SLURM_ARRAY_TASK_ID ${id} is not in the array (min ${min}, step ${step})`);
    }
    const position = (id - min) / step;
    if (position >= count) {
      throw new Error(`--shard auto: SLURM_ARRAY_TASK_ID ${id} is past the array's ${count} tasks (min ${min}, step ${step}); ` +
        'arrays with gaps (--array=1,5,9) cannot be sharded: use a contiguous range');
    }
    return { index: position + 1, count, source: `Slurm array task ${id} (${position + 1} of ${count})` };
  }
  throw new Error('--shard auto: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor SLURM_ARRAY_TASK_ID (Slurm array) is set; pass --shard k/n');
}

export function resolveShard(spec: string, env: NodeJS.ProcessEnv = process.env): ResolvedShard {
  if (spec.trim().toLowerCase() === 'auto') return shardFromEnv(env);
  return { ...parseShardSpec(spec), source: `shard ${spec.trim()}` };
}

/**
 * The files of one shard. Each file is keyed by its path relative to the folder it was found in, never by an
 * absolute path or a mount point, and sorted by code unit (not by locale, as shell globs are), so every machine
 * running the same command computes the same split; equal keys (a.png in two input folders) keep their command-line
 * order. The sorted list is cut into n contiguous runs (as `split -n l/k/n` does), which keeps a sub-folder together.
 */
export function selectShard<T extends InputFile>(files: readonly T[], shard: Shard): T[] {
  const keyed = files.map((file) => ({ file, key: join(file.relDir, basename(file.input)) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const from = Math.floor(((shard.index - 1) * keyed.length) / shard.count);
  const to = Math.floor((shard.index * keyed.length) / shard.count);
  return keyed.slice(from, to).map((k) => k.file);
}
