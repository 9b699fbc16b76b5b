#!/usr/bin/env node
// Runs every test file under tests/ (or the files/folders given) with Node's test runner and tsx,
// then the Playwright end-to-end suite when present. One exit code for all of it.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const roots = args.length ? args : ['tests/unit', 'tests/integration', 'tests/faults'];

function collect(path, out) {
  if (!existsSync(path)) return out;
  if (statSync(path).isFile()) { out.push(path); return out; }
  for (const entry of readdirSync(path).sort()) {
    const full = join(path, entry);
    if (statSync(full).isDirectory()) collect(full, out);
    else if (/\.test\.ts$/.test(entry)) out.push(full);
  }
  return out;
}

// tsx runs TypeScript without checking it: the whole suite starts with the type checker (main side and renderer).
if (args.length === 0) {
  for (const project of ['tsconfig.json', 'src-renderer/tsconfig.json']) {
    const check = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', project], { stdio: 'inherit' });
    if (check.status !== 0) {
      console.error(`type errors in ${project}`);
      process.exit(check.status ?? 1);
    }
  }
}

const files = roots.flatMap((r) => (r.endsWith('.spec.ts') || r === 'tests/e2e' ? [] : collect(r, [])));
let status = 0;
if (files.length) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  status = run.status ?? 1;
}
const wantE2e = args.length === 0 || args.some((a) => a.startsWith('tests/e2e'));
if (wantE2e && existsSync('tests/e2e') && collect('tests/e2e', []).length === 0 && readdirSync('tests/e2e').some((f) => f.endsWith('.spec.ts'))) {
  const e2e = spawnSync('npx', ['playwright', 'test', ...args.filter((a) => a.startsWith('tests/e2e'))], { stdio: 'inherit' });
  status = status || (e2e.status ?? 1);
}
process.exit(status);
