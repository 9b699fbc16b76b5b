/**
 * The import boundaries of the house, checked on the real source (type-only imports included):
 *
 * - only src-main/electron/ imports electron;
 * - src-common/ (the contract the renderer shares) imports neither Node built-ins nor anything outside itself;
 * - src-renderer/ imports nothing from outside itself but src-common/, and no Node built-ins; what it imports from
 *   src-common/ as a value (not `import type`) reaches no zod, so schemas stay out of the renderer bundle;
 * - inside src-main, a folder imports only folders of its own layer or below (LAYERS), so the engine knows nothing of
 *   jobs, workers, the API, watch folders, settings or the CLI.
 *
 * dependency-cruiser would express the same rules, but it runs on Node 22+ and parses TypeScript with the compiler's
 * JavaScript API, which TypeScript 7 no longer ships; so the files are parsed with oxc (through rolldown, which Vite
 * already installs) and the rules are plain functions. `node --import tsx scripts/boundaries.ts` prints violations.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAst } from 'rolldown/parseAst';

/**
 * src-main's folders from the bottom up: a folder may import its own layer and the ones below. src-common sits under
 * all of them. A new folder must be placed here (an unplaced folder is a violation).
 */
export const LAYERS: ReadonlyArray<readonly string[]> = [
  ['common'],
  ['engine'],
  ['training', 'video'],
  ['workers'],
  ['jobs'],
  ['watch', 'settings', 'cluster'],
  /** Domain services the API exposes (training jobs, model library, images, uploads, allowed roots). */
  ['services'],
  /** Commands → services, events ← services, and the composition root (openAppServices). */
  ['api'],
  /** Transports: the browser-mode HTTP/WebSocket server; the Electron IPC transport lives in electron/. */
  ['server'],
  ['cli', 'electron'],
];

/** Folders scanned, relative to the repository root. */
const SOURCE_ROOTS = ['src-common', 'src-main', 'src-renderer'];
/** Build configuration beside the renderer, run by Node, not shipped in it. */
const NOT_SHIPPED = new Set(['src-renderer/vite.config.ts']);

export interface Violation {
  rule:
    | 'electron-only-in-electron' | 'common-is-portable' | 'renderer-uses-only-common' | 'renderer-bundle-zod-free'
    | 'layers' | 'unplaced-folder' | 'unparsable';
  /** Importing file, relative to the root, with forward slashes. */
  file: string;
  /** The import as written. */
  specifier: string;
  message: string;
}

const BUILTINS = new Set(builtinModules);
const isBuiltin = (specifier: string): boolean => specifier.startsWith('node:') || BUILTINS.has(specifier.split('/')[0]);
const isElectron = (specifier: string): boolean => specifier === 'electron' || specifier.startsWith('electron/');

function sourceFiles(dir: string, out: string[] = []): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const entry of entries) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) sourceFiles(full, out);
    else if (/\.(ts|cts|mts|svelte)$/.test(entry) && !entry.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** The TypeScript a file holds: all of it, or a Svelte component's <script> blocks. */
function scriptOf(path: string): string {
  const text = readFileSync(path, 'utf8');
  if (!path.endsWith('.svelte')) return text;
  return [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
}

export interface ImportRef {
  specifier: string;
  /** `import type` / `export type` / `import('x').T`: erased when compiled, never loaded. */
  typeOnly: boolean;
}

/** Every module a file names: static and dynamic imports, re-exports, import() types, require(). */
export function importsOf(code: string, filename: string): ImportRef[] {
  const program = parseAst(code, { lang: 'ts', sourceType: 'module' }, filename);
  const found: ImportRef[] = [];
  const literal = (node: unknown): string | undefined => {
    const value = (node as { value?: unknown } | null | undefined)?.value;
    return typeof value === 'string' ? value : undefined;
  };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown> & { type?: string };
    let specifier: string | undefined;
    let typeOnly = n.importKind === 'type' || n.exportKind === 'type';
    if (n.type === 'ImportDeclaration' || n.type === 'ExportNamedDeclaration' || n.type === 'ExportAllDeclaration' || n.type === 'ImportExpression') {
      specifier = literal(n.source);
    } else if (n.type === 'TSImportType') {
      // import('x').T in a type position: oxc wraps the string in a TSLiteralType.
      const argument = n.argument as { literal?: unknown } | undefined;
      specifier = literal(argument?.literal) ?? literal(argument) ?? literal(n.source);
      typeOnly = true;
    } else if (n.type === 'CallExpression' && (n.callee as { name?: unknown } | undefined)?.name === 'require') {
      specifier = literal((n.arguments as unknown[] | undefined)?.[0]);
    }
    if (specifier !== undefined) found.push({ specifier, typeOnly });
    for (const key of Object.keys(n)) visit(n[key]);
  };
  visit(program.body);
  return found;
}

type Area = { kind: 'common' } | { kind: 'renderer' } | { kind: 'main'; folder: string } | { kind: 'other' };

function areaOf(relPath: string): Area {
  const [top, folder] = relPath.split('/');
  if (top === 'src-common') return { kind: 'common' };
  if (top === 'src-renderer') return { kind: 'renderer' };
  if (top === 'src-main' && folder && relPath.split('/').length > 2) return { kind: 'main', folder };
  return { kind: 'other' };
}

function layerOf(folder: string): number {
  return LAYERS.findIndex((layer) => layer.includes(folder));
}

/** The source files the rules apply to, absolute. */
export function listSourceFiles(root: string): string[] {
  return SOURCE_ROOTS.flatMap((dir) => sourceFiles(join(root, dir)));
}

/** Checks every source file under `root` (a repository checkout, or a fixture tree shaped like one). */
export function findViolations(root: string): Violation[] {
  const violations: Violation[] = [];
  const rel = (path: string): string => relative(root, path).split(sep).join('/');
  for (const path of listSourceFiles(root)) {
    const file = rel(path);
    if (NOT_SHIPPED.has(file)) continue;
    const from = areaOf(file);
    if (from.kind === 'main' && layerOf(from.folder) < 0) {
      violations.push({ rule: 'unplaced-folder', file, specifier: '', message: `src-main/${from.folder}/ has no layer: add it to LAYERS in scripts/boundaries.ts` });
    }
    let imports: ImportRef[];
    try {
      imports = importsOf(scriptOf(path), path);
    } catch (error) {
      violations.push({ rule: 'unparsable', file, specifier: '', message: `cannot parse: ${(error as Error).message}` });
      continue;
    }
    for (const { specifier, typeOnly } of imports) {
      const target = specifier.startsWith('.') ? rel(resolve(dirname(path), specifier)) : null;
      const problem = check(from, specifier, target);
      if (problem) violations.push({ ...problem, file, specifier });
      else if (from.kind === 'renderer' && !typeOnly && target?.startsWith('src-common/')) {
        const chain = zodChain(root, target, new Set());
        if (chain) {
          violations.push({
            rule: 'renderer-bundle-zod-free', file, specifier,
            message: `a value import that loads zod into the renderer (${[target, ...chain].join(' → ')}): import the zod-free module, or use import type`,
          });
        }
      }
    }
  }
  return violations;
}

/** The path by which a src-common module loads zod through value imports (null when it does not). */
function zodChain(root: string, module: string, seen: Set<string>): string[] | null {
  if (seen.has(module)) return null;
  seen.add(module);
  const file = join(root, module.replace(/\.js$/, '.ts'));
  let imports: ImportRef[];
  try {
    imports = importsOf(readFileSync(file, 'utf8'), file);
  } catch {
    return null; // a missing or broken module is reported where it is scanned itself
  }
  for (const { specifier, typeOnly } of imports) {
    if (typeOnly) continue;
    if (specifier === 'zod' || specifier.startsWith('zod/')) return [specifier];
    if (specifier.startsWith('.')) {
      const next = relative(root, resolve(dirname(file), specifier)).split(sep).join('/');
      const chain = zodChain(root, next, seen);
      if (chain) return [next, ...chain];
    }
  }
  return null;
}

function check(from: Area, specifier: string, target: string | null): Omit<Violation, 'file' | 'specifier'> | null {
  if (isElectron(specifier) && !(from.kind === 'main' && from.folder === 'electron')) {
    return { rule: 'electron-only-in-electron', message: 'only src-main/electron/ may import electron' };
  }
  if (from.kind === 'common') {
    if (isBuiltin(specifier)) return { rule: 'common-is-portable', message: 'src-common/ runs in the renderer: no Node built-ins' };
    if (target !== null && !target.startsWith('src-common/')) {
      return { rule: 'common-is-portable', message: `src-common/ imports only itself (this reaches ${target})` };
    }
    return null;
  }
  if (from.kind === 'renderer') {
    if (isBuiltin(specifier)) return { rule: 'renderer-uses-only-common', message: 'the renderer runs in a browser: no Node built-ins' };
    if (target !== null && !target.startsWith('src-renderer/') && !target.startsWith('src-common/')) {
      return { rule: 'renderer-uses-only-common', message: `the renderer imports only src-renderer/ and src-common/ (this reaches ${target})` };
    }
    return null;
  }
  if (from.kind === 'main' && target !== null) {
    const to = areaOf(target);
    if (to.kind === 'renderer') return { rule: 'layers', message: 'src-main never imports the renderer' };
    if (to.kind !== 'main' || to.folder === from.folder) return null;
    const own = layerOf(from.folder);
    const theirs = layerOf(to.folder);
    if (own >= 0 && theirs > own) {
      return { rule: 'layers', message: `src-main/${from.folder}/ (layer ${own}) imports src-main/${to.folder}/ (layer ${theirs}): a lower layer never imports a higher one` };
    }
  }
  return null;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const violations = findViolations(root);
  for (const v of violations) console.log(`${v.rule}: ${v.file} imports '${v.specifier}': ${v.message}`);
  console.log(violations.length ? `${violations.length} boundary violation(s)` : 'boundaries hold');
  process.exitCode = violations.length ? 1 : 0;
}
