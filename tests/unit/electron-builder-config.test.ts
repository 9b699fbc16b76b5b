/**
 * electron-builder.yml against electron-builder's own JSON schema (app-builder-lib's scheme.json, checked with the
 * ajv that electron-builder uses, and with electron-builder's own validateConfiguration), plus what the installers
 * must contain: all four targets, icons, shipped models as extraResources, native modules unpacked from the asar,
 * the compiled main process, preload and renderer, and no tests or sources.
 */
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const root = fileURLToPath(new URL('../../', import.meta.url));
// Resolved through electron-builder so the versions are the ones that will read the file.
const fromBuilder = createRequire(createRequire(import.meta.url).resolve('electron-builder/package.json'));
const fromLib = createRequire(fromBuilder.resolve('app-builder-lib/package.json'));
const yaml = fromLib('js-yaml') as { load(text: string): unknown };
const AjvModule = fromLib('ajv') as { default: new (options: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown[] | null } } };
const { minimatch } = fromLib('minimatch') as { minimatch(path: string, pattern: string, options?: object): boolean };
const { validateConfiguration } = fromLib('./out/util/config/config.js') as {
  validateConfiguration(config: unknown, debugLogger: { isEnabled: boolean; add(key: string, value: unknown): void }): Promise<void>;
};

interface FileSet { from: string; to: string; filter?: string[] }
interface Config {
  appId: string;
  productName: string;
  directories: { output: string; buildResources: string };
  files: string[];
  extraResources: FileSet[];
  asar: boolean;
  asarUnpack: string[];
  linux: { target: string[]; icon: string; files: string[] };
  win: { target: string[]; icon: string; files: string[] };
  mac: { target: string[]; icon: string; files: string[] };
}

const load = async (): Promise<Config> => yaml.load(await readFile(join(root, 'electron-builder.yml'), 'utf8')) as Config;
const schema = async (): Promise<object> => JSON.parse(await readFile(fromLib.resolve('./scheme.json'), 'utf8')) as object;
const noLog = { isEnabled: false, add() {} };

/** electron-builder's pattern semantics, reduced to what this file uses: later patterns win, `!` excludes. */
function included(path: string, patterns: string[]): boolean {
  let result = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).replace('${/*}', '{,/**/*}');
    if (minimatch(path, pattern, { dot: true })) result = !negate;
  }
  return result;
}

describe('electron-builder.yml', () => {
  test('matches electron-builder\'s JSON schema (strict types, no unknown keys)', async () => {
    const validate = new AjvModule.default({ allErrors: true, strict: false }).compile(await schema());
    const ok = validate(await load());
    assert.ok(ok, `schema errors: ${JSON.stringify(validate.errors, null, 1)}`);
  });

  test('passes electron-builder\'s own configuration check', async () => {
    await validateConfiguration(await load(), noLog);
  });

  test('the schema check is not vacuous: a misspelt option or a wrong type is refused', async () => {
    const config = await load();
    await assert.rejects(validateConfiguration({ ...config, extraResource: config.extraResources }, noLog), /extraResource/);
    const validate = new AjvModule.default({ allErrors: true, strict: false }).compile(await schema());
    assert.equal(validate({ ...config, asarUnpack: 42 }), false);
    assert.equal(validate({ ...config, linux: { ...config.linux, target: 'AppImage', categroy: 'Graphics' } }), false);
  });

  test('identity and all four installer targets', async () => {
    const config = await load();
    assert.equal(config.productName, 'Subpixel');
    assert.match(config.appId, /^[a-z0-9]+(\.[a-z0-9-]+)+$/);
    assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
    assert.deepEqual(config.win.target, ['nsis']);
    assert.deepEqual(config.mac.target, ['dmg']);
  });

  test('icons exist at the sizes each platform needs', async () => {
    const config = await load();
    for (const icon of [config.mac.icon, config.win.icon]) {
      const meta = await sharp(join(root, icon)).metadata();
      assert.ok(meta.width! >= 512 && meta.width === meta.height, `${icon} is ${meta.width}x${meta.height}`);
    }
    const linux = await readdir(join(root, config.linux.icon));
    assert.ok(linux.length >= 4);
    for (const name of linux) {
      const size = /^(\d+)x\1\.png$/.exec(name);
      assert.ok(size, `Linux icon names carry their size: ${name}`);
      const meta = await sharp(join(root, config.linux.icon, name)).metadata();
      assert.equal(meta.width, Number(size[1]), name);
    }
  });

  test('shipped models go to resources/models, where main.ts points the engine', async () => {
    const config = await load();
    const models = config.extraResources.find((r) => r.from === 'models');
    assert.ok(models, 'models/ is an extraResource');
    assert.equal(models.to, 'models');
    const filter = models.filter ?? ['**/*'];
    assert.ok(included('manifest.json', filter) && included('efficient-x4/model.json', filter) && included('efficient-x4/weights.bin', filter));
    // every file of the real models folder: the deployable ones go in, every training checkpoint (the main run's
    // and each stage's, checkpoint-<stage>/) and the notes stay out
    const files = (await readdir(join(root, 'models'), { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile()).map((e) => relative(join(root, 'models'), join(e.parentPath, e.name)).split(sep).join('/'));
    assert.ok(files.some((f) => /^[^/]+\/checkpoint-[^/]+\//.test(f)), 'the models folder has stage checkpoints to test with');
    assert.ok(!included('pilots/pilot-x4/model.json', filter) && !included('pilots/manifest.json', filter), 'pilot runs stay out');
    for (const f of files) {
      const deployable = f === 'manifest.json' || /^[^/]+\/(model\.json|weights\.bin)$/.test(f);
      assert.equal(included(f, filter), deployable, f);
    }
    const main = await readFile(join(root, 'src-main/electron/main.ts'), 'utf8');
    assert.match(main, /shippedModelsEnv\(\{ packaged, resourcesPath: process\.resourcesPath/);
  });

  test('native modules are unpacked from the asar: sharp and its libvips, onnxruntime-node, tfjs-node(-gpu)', async () => {
    const config = await load();
    assert.equal(config.asar, true);
    const unpacked = (path: string) => config.asarUnpack.some((pattern) => minimatch(path, pattern, { dot: true }));
    for (const path of [
      'node_modules/sharp/lib/sharp.js',
      'node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64.node',
      'node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so.8.17.3',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
      'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1',
      'node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node',
    ]) assert.ok(unpacked(path), path);
    assert.ok(!unpacked('dist/src-main/electron/main.js'));
  });

  test('the app holds the compiled main process, the CommonJS preload and the renderer; no tests, sources or maps', async () => {
    const config = await load();
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { main: string };
    assert.equal(pkg.main, 'dist/src-main/electron/main.js');
    for (const path of [pkg.main, 'dist/src-main/electron/preload.cjs', 'dist/src-main/workers/engine-worker.js', 'dist-renderer/index.html',
      'dist-renderer/assets/index-abc123.js', 'resources/icons/png/64x64.png', 'package.json']) {
      assert.ok(included(path, config.files), `${path} is packaged`);
    }
    for (const path of ['dist/tests/unit/electron-shell.test.js', 'dist/scripts/bench.js', 'src-main/electron/main.ts',
      'dist/src-main/electron/main.js.map', 'tests/e2e/electron.spec.ts', 'src-renderer/App.svelte', 'models/manifest.json']) {
      assert.ok(!included(path, config.files), `${path} stays out`);
    }
  });

  test('each platform ships only its own ONNX Runtime binaries', async () => {
    const config = await load();
    const ort = (os: string) => `node_modules/onnxruntime-node/bin/napi-v6/${os}/x64/onnxruntime_binding.node`;
    const base = ['node_modules/**/*'];
    for (const [platform, keep] of [['linux', 'linux'], ['win', 'win32'], ['mac', 'darwin']] as const) {
      const patterns = [...base, ...config[platform].files];
      for (const os of ['linux', 'win32', 'darwin']) assert.equal(included(ort(os), patterns), os === keep, `${platform}: ${os}`);
    }
  });
});
