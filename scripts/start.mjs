#!/usr/bin/env node
// `npm start`: the desktop app when Electron and a display are available; otherwise one line saying why, then the
// same UI in browser mode (`subpixel serve`), printing its URL.
//
//   npm start                       build what is stale, then launch
//   npm start -- --browser          browser mode even where Electron could run
//   npm start -- --port 8080        browser mode on a fixed port
//   npm start -- --no-build         use the existing builds as they are
//   npm start -- --allow /data      allow a folder besides your home (repeatable)
//   npm start -- photo.png raw/     (desktop app) add these to the queue at launch
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rendererBuildIsStale } from './renderer-stale.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => { const i = args.indexOf(name); if (i < 0) return false; args.splice(i, 1); return true; };
const option = (name) => { const i = args.indexOf(name); if (i < 0) return undefined; const [, value] = args.splice(i, 2); return value; };
const forceBrowser = flag('--browser');
const noBuild = flag('--no-build');
const port = option('--port');
/** `--allow <folder>` (repeatable): the desktop app reads them from its own argv; browser mode gets them here. */
const allow = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--allow' && args[i + 1]) allow.push(args[i + 1]);
  else if (args[i].startsWith('--allow=')) allow.push(args[i].slice('--allow='.length));
}

const { register } = await import('tsx/esm/api');
register();
const { electronAvailability } = await import('../src-main/electron/launch.ts');

function packagedElectron() {
  try {
    // The electron package exports its binary's path, and throws when the binary was never downloaded.
    return createRequire(import.meta.url)('electron');
  } catch {
    return null;
  }
}

function run(command, commandArgs, what) {
  const result = spawnSync(command, commandArgs, { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    process.stderr.write(`${what} failed:\n${result.stdout ?? ''}${result.stderr ?? ''}\n`);
    process.exit(result.status ?? 1);
  }
}

/** The renderer is rebuilt (`npm run build:renderer`) when its sources are newer than the build in dist-renderer/. */
function buildRenderer() {
  if (noBuild || !existsSync(join(root, 'src-renderer', 'vite.config.ts'))) return;
  if (!rendererBuildIsStale(root)) return;
  run('npm', ['run', '--silent', 'build:renderer'], 'building the renderer');
}

const availability = forceBrowser || port
  ? { ok: false, reason: 'browser mode was asked for' }
  : electronAvailability({ platform: process.platform, env: process.env, packagedBinary: packagedElectron(), exists: existsSync });

buildRenderer();

if (availability.ok) {
  // Electron loads compiled JavaScript: dist/src-main (main.js, preload.cjs, workers).
  if (!noBuild) run('npx', ['tsc', '-p', 'tsconfig.json'], 'compiling the main process');
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(availability.executable, [root, ...args], { cwd: root, stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  process.stdout.write(`Electron can't start here: ${availability.reason}; serving Subpixel in browser mode instead.\n`);
  const { startBrowserMode } = await import('../src-main/server/serve-app.ts');
  const app = await startBrowserMode({ ...(port ? { port: Number(port) } : {}), allow });
  const stop = () => {
    app.stop().then(() => process.exit(0), (error) => {
      process.stderr.write(`error while stopping: ${error.message}\n`);
      process.exit(1);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.stdout.write(`${app.server.url}\n`);
}
