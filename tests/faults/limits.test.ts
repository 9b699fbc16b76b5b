/**
 * Issue 18, item 9: a small limit for command messages, uploads in chunks with a per-file limit, type-checked before
 * they are kept, and a disk budget for the uploads folder.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connectWs } from '../integration/api-harness.js';
import { startBrowserMode } from '../../src-main/server/serve-app.js';
import { UploadStaging } from '../../src-main/services/upload-staging.js';
import { UPLOAD_LIMITS } from '../../src-common/upload-limits.js';
import { tempDir, writeImage } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const call = (client: { call(command: string, input?: unknown): Promise<unknown> }, command: string, input: unknown): Promise<any> => client.call(command, input) as Promise<any>;

const filesUnder = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)) : []);

describe('upload and message limits over the WebSocket', () => {
  it('refuses an oversized message, a non-image at its first chunk and a file over the per-file limit; a chunked image is queued', { timeout: 120_000 }, async () => {
    const dir = await tempDir('limits');
    const allowed = join(dir.path, 'allowed');
    mkdirSync(allowed);
    const home = join(dir.path, 'home');
    const app = await startBrowserMode({ home, allow: [allowed], allowHome: false, port: 0, staticDir: null, autoStart: false });
    const url = `ws://127.0.0.1:${app.server.port}/ws?token=${app.server.token}`;
    try {
      // 1. A message over the limit closes that connection (1009, message too big) instead of being buffered.
      const big = await connectWs(url, app.server.origin);
      const closed = new Promise<number>((resolve) => big.socket.once('close', (code) => resolve(code)));
      big.send(JSON.stringify({ type: 'call', id: 1, command: 'queue.upload', input: { files: [{ name: 'x.png', dataBase64: 'A'.repeat(UPLOAD_LIMITS.messageBytes * 2) }] } }));
      assert.equal(await closed, 1009);

      const client = await connectWs(url, app.server.origin);
      try {
        // 2. Over the per-file limit: refused before a byte is sent.
        const tooBig = await call(client, 'upload.begin', { name: 'huge.png', size: UPLOAD_LIMITS.fileBytes + 1 });
        assert.equal(tooBig.ok, false);
        assert.match(tooBig.error.message, /over the per-file upload limit/);

        // 3. A non-image named .png: refused at its first chunk, and nothing of it is kept.
        const fake = Buffer.alloc(3 * 1024 * 1024, 'this is not an image at all ');
        const begun = await call(client, 'upload.begin', { name: 'fake.png', size: fake.length });
        assert.equal(begun.ok, true, JSON.stringify(begun));
        const first = await call(client, 'upload.chunk', { uploadId: begun.value.uploadId, offset: 0, dataBase64: fake.subarray(0, UPLOAD_LIMITS.chunkBytes).toString('base64') });
        assert.equal(first.ok, false);
        assert.match(first.error.message, /fake\.png: its content is not an image; not kept/);
        assert.deepEqual(filesUnder(join(home, 'uploads')), [], 'no byte of the non-image stays on disk');
        const after = await call(client, 'upload.chunk', { uploadId: begun.value.uploadId, offset: UPLOAD_LIMITS.chunkBytes, dataBase64: 'AAAA' });
        assert.equal(after.error?.code, 'not_found', 'the refused upload is gone');

        // 4. A real image over the inline size goes in chunks and is queued.
        const image = join(dir.path, 'photo.png');
        await writeImage(image, 3, 700, 700);
        const bytes = readFileSync(image);
        assert.ok(bytes.length > UPLOAD_LIMITS.chunkBytes, `${bytes.length} bytes: more than one chunk`);
        const up = await call(client, 'upload.begin', { name: 'photo.png', size: bytes.length });
        for (let offset = 0; offset < bytes.length; offset += UPLOAD_LIMITS.chunkBytes) {
          const r = await call(client, 'upload.chunk', { uploadId: up.value.uploadId, offset, dataBase64: bytes.subarray(offset, offset + UPLOAD_LIMITS.chunkBytes).toString('base64') });
          assert.equal(r.ok, true, JSON.stringify(r));
        }
        const queued = await call(client, 'queue.upload', { files: [{ name: 'photo.png', uploadId: up.value.uploadId }], settings: { outputDir: allowed } });
        assert.equal(queued.ok, true, JSON.stringify(queued));
        assert.equal(queued.value.items.length, 1);
        assert.deepEqual(readFileSync(queued.value.items[0].input), bytes);
      } finally {
        await client.close();
      }
    } finally {
      await app.stop();
      await dir.cleanup();
    }
  });
});

describe('the uploads disk budget', () => {
  it('an upload that would take the folder over its budget is refused, naming the budget', async () => {
    const dir = await tempDir('budget');
    const staging = new UploadStaging(join(dir.path, 'uploads'), { fileBytes: 1024 * 1024, budgetBytes: 1536 * 1024, chunkBytes: 256 * 1024 });
    try {
      await staging.begin('a.png', 1024 * 1024);
      await assert.rejects(staging.begin('b.png', 1024 * 1024), /uploads would use 2 MB of their 2 MB disk budget/);
      await assert.rejects(staging.begin('c.png', 2 * 1024 * 1024), /over the per-file upload limit of 1 MB/);
    } finally {
      await staging.close();
      await dir.cleanup();
    }
  });
});
