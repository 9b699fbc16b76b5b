/** Shared by the fault-injection suite: real CLI processes on real state folders, files and models. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveModel } from '../../src-main/engine/models/store.js';
import { randomWeights, type ArchitectureSpec } from '../../src-main/engine/models/spec.js';
import { writeNoiseImage } from '../integration/fixtures/services-fixtures.js';

export const BIN = new URL('../../bin/subpixel.js', import.meta.url).pathname;

export async function tempDir(prefix: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `subpixel-fault-${prefix}-`));
  return { path, cleanup: () => rm(path, { recursive: true, force: true, maxRetries: 5 }) };
}

/** A deliberately tiny random-weight x2 model: real inference, quick on a loaded machine. */
export async function saveTinyModel(dir: string): Promise<string> {
  const spec: ArchitectureSpec = { name: 'espcn', scale: 2, channels: 1, widths: [4], kernels: [3, 3], activation: 'relu', residual: false };
  await saveModel(dir, randomWeights(spec, 7), { id: 'tiny-x2', description: 'test model with random weights' });
  return dir;
}

/** A small noise image (deterministic per seed), in the format the extension names. */
export function writeImage(path: string, seed = 1, width = 16, height = 12): Promise<void> {
  return writeNoiseImage(path, width, height, seed);
}

export interface Cli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Permission checks do not apply to root: a test of an unreadable folder runs its process as `nobody` when the suite
 * runs as root (its temp folders are opened up for that user).
 */
export const UNPRIVILEGED = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

/** Starts `subpixel <args>` with `env` added (as `nobody` with `unprivileged` when the suite runs as root). */
export function startCli(args: string[], env: NodeJS.ProcessEnv, options: { unprivileged?: boolean } = {}): Cli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(options.unprivileged ? UNPRIVILEGED : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d; });
  child.stderr!.on('data', (d: Buffer) => { stderr += d; });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

export async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 90_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `subpixel watch`, resolved once it says it is watching (rejects with its stderr when it exits first). */
export async function startWatchCli(args: string[], env: NodeJS.ProcessEnv, options: { unprivileged?: boolean } = {}): Promise<Cli> {
  const cli = startCli(['watch', ...args], env, options);
  let exited = false;
  void cli.exited.then(() => { exited = true; });
  await waitFor(() => {
    if (exited) throw new Error(`watch exited early: ${cli.stderr()}`);
    return /watching \d+ folder/.test(cli.stderr());
  }, 'the watching line');
  return cli;
}

export async function stopCli(cli: Cli, signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill(signal);
  return cli.exited;
}
