#!/usr/bin/env node
// Entry point of the `subpixel` command: the compiled CLI when it is built and up to date, else the TypeScript source
// through tsx (so a checkout with an old build never runs yesterday's code).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = fileURLToPath(new URL('../dist/src-main/cli/main.js', import.meta.url));
// The main process's sources and the contract they import: a change to either makes the build stale.
const sources = ['../src-main', '../src-common'].map((dir) => fileURLToPath(new URL(dir, import.meta.url)));

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(`${path}/${entry}`));
  return newest;
}

const present = sources.filter((dir) => existsSync(dir));
const useBuilt = existsSync(built) && (present.length === 0 || statSync(built).mtimeMs >= Math.max(...present.map(newestMtime)));
if (useBuilt) {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src-main/cli/main.ts');
}
