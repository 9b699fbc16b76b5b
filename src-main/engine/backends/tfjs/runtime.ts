/**
 * Picks TF.js's compute backend at run time: tfjs-node-gpu, tfjs-node (optional peer deps that npm may leave
 * without their native addon), then wasm, then plain JS cpu. TF.js has one active backend per process, so the
 * choice is made once per flavour and sessions switch to theirs before running.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { tf as tfjs } from './tf.js';

export type Tf = typeof tfjs;
export type TfjsFlavor = 'tfjs-node-gpu' | 'tfjs-node' | 'tfjs-wasm' | 'tfjs-cpu';
export const TFJS_FLAVORS: readonly TfjsFlavor[] = ['tfjs-node-gpu', 'tfjs-node', 'tfjs-wasm', 'tfjs-cpu'];

export interface TfjsRuntime {
  tf: Tf;
  flavor: TfjsFlavor;
  /** TF.js's own backend name: 'tensorflow', 'wasm' or 'cpu'. */
  tfBackend: string;
  devices: string[];
  /** Why each flavour tried before this one was skipped. */
  skipped: string[];
}

export interface TfjsInitOptions {
  /** Try this flavour first (default: $SUBPIXEL_TFJS_BACKEND, then the normal order). */
  prefer?: TfjsFlavor;
  /** Threads for the wasm backend (fixed at its first initialisation). */
  threads?: number;
}

export function isTfjsFlavor(value: string | undefined): value is TfjsFlavor {
  return value !== undefined && (TFJS_FLAVORS as readonly string[]).includes(value);
}

const require = createRequire(import.meta.url);

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0];
}

/** Where the wasm binaries are: node_modules/@tensorflow/tfjs-backend-wasm/dist/ (with the trailing slash). */
export function wasmDistDir(): string {
  return `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`;
}

async function importNodeBinding(pkg: string): Promise<void> {
  // A variable specifier: these packages are optional, so neither TypeScript nor bundlers may insist on them.
  const specifier: string = pkg;
  await import(specifier);
}

async function activate(tf: Tf, name: string): Promise<void> {
  if (tf.getBackend() === name) return;
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`TF.js backend '${name}' failed to initialise`);
  await tf.ready();
}

/** Makes one flavour TF.js's active backend, or throws why it cannot. */
async function initFlavor(flavor: TfjsFlavor, threads: number): Promise<Omit<TfjsRuntime, 'skipped'>> {
  const tf = tfjs;
  switch (flavor) {
    case 'tfjs-node-gpu':
    case 'tfjs-node': {
      const pkg = `@tensorflow/${flavor}`;
      try {
        await importNodeBinding(pkg);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new Error(code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' ? `${pkg} is not installed` : `${pkg} did not load: ${messageOf(err)}`);
      }
      if (!tf.findBackend('tensorflow')) throw new Error(`${pkg} loaded but registered no 'tensorflow' backend (a second copy of @tensorflow/tfjs?)`);
      await activate(tf, 'tensorflow');
      return { tf, flavor, tfBackend: 'tensorflow', devices: [flavor === 'tfjs-node-gpu' ? 'gpu' : 'cpu'] };
    }
    case 'tfjs-wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const dir = wasmDistDir();
      if (!existsSync(join(dir, 'tfjs-backend-wasm.wasm'))) throw new Error(`wasm binaries missing in ${dir}`);
      if (tf.findBackend('wasm') === null && !wasmConfigured) {
        wasm.setWasmPaths(dir);
        wasm.setThreadsCount(threads);
        wasmConfigured = true;
      }
      await activate(tf, 'wasm');
      return { tf, flavor, tfBackend: 'wasm', devices: [`cpu (${wasm.getThreadsCount()} thread${wasm.getThreadsCount() === 1 ? '' : 's'})`] };
    }
    case 'tfjs-cpu': {
      await activate(tf, 'cpu');
      // The cpu backend prints a "install tfjs-node" banner on first use; we report the backend choice ourselves.
      const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
      if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
      return { tf, flavor, tfBackend: 'cpu', devices: ['cpu'] };
    }
  }
}

let wasmConfigured = false;
const runtimes = new Map<TfjsFlavor, Promise<Omit<TfjsRuntime, 'skipped'>>>();
const failures = new Map<TfjsFlavor, string>();

async function tryFlavor(flavor: TfjsFlavor, threads: number): Promise<Omit<TfjsRuntime, 'skipped'>> {
  const failed = failures.get(flavor);
  if (failed) throw new Error(failed);
  let pending = runtimes.get(flavor);
  if (!pending) {
    pending = initFlavor(flavor, threads);
    runtimes.set(flavor, pending);
  }
  try {
    const runtime = await pending;
    await activate(runtime.tf, runtime.tfBackend);
    return runtime;
  } catch (err) {
    runtimes.delete(flavor);
    failures.set(flavor, messageOf(err));
    throw err;
  }
}

/** The first flavour that initialises, in the order prefer → node-gpu → node → wasm → cpu. */
export async function initTfjs(options: TfjsInitOptions = {}): Promise<TfjsRuntime> {
  const fromEnv = process.env.SUBPIXEL_TFJS_BACKEND;
  if (fromEnv && !isTfjsFlavor(fromEnv)) {
    throw new Error(`SUBPIXEL_TFJS_BACKEND=${fromEnv} is not one of ${TFJS_FLAVORS.join(', ')}`);
  }
  const prefer = options.prefer ?? (isTfjsFlavor(fromEnv) ? fromEnv : undefined);
  const order = prefer ? [prefer, ...TFJS_FLAVORS.filter((f) => f !== prefer)] : [...TFJS_FLAVORS];
  const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
  const skipped: string[] = [];
  for (const flavor of order) {
    try {
      return { ...(await tryFlavor(flavor, threads)), skipped };
    } catch (err) {
      skipped.push(`${flavor}: ${messageOf(err)}`);
    }
  }
  throw new Error(`no TF.js backend initialised (${skipped.join('; ')})`);
}

/** Makes `runtime`'s backend the active one again (another session may have switched). */
export function activateRuntime(runtime: TfjsRuntime): Promise<void> {
  return activate(runtime.tf, runtime.tfBackend);
}

/** Status of every flavour without changing which one is active for long. */
export async function probeTfjsFlavors(threads?: number): Promise<Array<{ flavor: TfjsFlavor; available: boolean; devices: string[]; reason?: string }>> {
  const before = tfjs.getBackend() as string | null;
  const out = [];
  for (const flavor of TFJS_FLAVORS) {
    try {
      const rt = await tryFlavor(flavor, Math.max(1, Math.floor(threads ?? availableParallelism())));
      out.push({ flavor, available: true, devices: rt.devices });
    } catch (err) {
      out.push({ flavor, available: false, devices: [], reason: messageOf(err) });
    }
  }
  if (before && tfjs.getBackend() !== before) await activate(tfjs, before);
  return out;
}
