/**
 * Chunked uploads (browser mode). A file is announced with its name and size, arrives in ordered chunks that are
 * appended to a staging file, and is type-checked by its first bytes before anything more is kept: a 150 MB
 * non-image is refused at its first chunk, not stored. Every upload counts against the uploads folder's disk budget
 * (what is kept plus what is announced), and against the free space of its disk.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rm, stat, statfs, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { formatFromPath, READABLE_FORMATS } from '../../src-common/formats.js';
import { UPLOAD_LIMITS } from '../../src-common/upload-limits.js';
import { sniffFormat } from '../engine/image-io/sniff.js';
import { CodedError } from '../common/errors.js';

/** Staging files live here, inside uploads/ (so one budget covers both) but apart from the drops' folders. */
export const STAGING_DIR = '.incoming';

/** An upload nobody continued for this long is abandoned: its staging file goes. */
const IDLE_MS = 10 * 60 * 1000;
/** Room left on the disk beyond the upload itself (the outputs need space too). */
const FREE_MARGIN_BYTES = 64 * 1024 * 1024;

export interface UploadLimits { fileBytes: number; budgetBytes: number; chunkBytes: number }

interface Session { name: string; size: number; received: number; path: string; handle: FileHandle; touched: number }

const mb = (bytes: number): string => `${Math.round(bytes / (1024 * 1024))} MB`;

/** What the first bytes of an upload must be: one of the formats the engine reads. */
export function assertImageContent(name: string, head: Buffer): void {
  if (!formatFromPath(name)) throw new CodedError('invalid_input', `${name}: not an image file name (${READABLE_FORMATS.join(', ')})`);
  const sniffed = sniffFormat(head);
  if (!sniffed || !(READABLE_FORMATS as readonly string[]).includes(sniffed)) {
    throw new CodedError('invalid_input', `${name}: its content is ${sniffed ? `${sniffed}, not a format Subpixel reads` : 'not an image'}; not kept`);
  }
}

async function folderBytes(folder: string): Promise<number> {
  let total = 0;
  const entries = await readdir(folder, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isFile()) continue;
    total += await stat(join(e.parentPath, e.name)).then((s) => s.size, () => 0);
  }
  return total;
}

export class UploadStaging {
  private readonly sessions = new Map<string, Session>();
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly uploadsDir: string, private readonly limits: UploadLimits = UPLOAD_LIMITS) {
    this.sweep = setInterval(() => void this.dropIdle(), 60_000);
    this.sweep.unref();
  }

  /** Staging files of an earlier run cannot be continued (their sessions are gone): they go. */
  static async open(uploadsDir: string, limits: UploadLimits = UPLOAD_LIMITS): Promise<UploadStaging> {
    await rm(join(uploadsDir, STAGING_DIR), { recursive: true, force: true });
    return new UploadStaging(uploadsDir, limits);
  }

  /** Refuses `bytes` more when they would exceed the per-file limit, the budget or the disk's free space. */
  async reserve(name: string, bytes: number): Promise<void> {
    if (bytes > this.limits.fileBytes) throw new CodedError('invalid_input', `${name}: ${mb(bytes)} is over the per-file upload limit of ${mb(this.limits.fileBytes)}`);
    const announced = [...this.sessions.values()].reduce((sum, s) => sum + (s.size - s.received), 0);
    const used = (await folderBytes(this.uploadsDir)) + announced;
    if (used + bytes > this.limits.budgetBytes) {
      throw new CodedError('conflict', `${name}: uploads would use ${mb(used + bytes)} of their ${mb(this.limits.budgetBytes)} disk budget; let the queued uploads finish or clear them first`);
    }
    await mkdir(this.uploadsDir, { recursive: true });
    const fs = await statfs(this.uploadsDir);
    if (fs.bavail * fs.bsize < bytes + FREE_MARGIN_BYTES) throw new CodedError('conflict', `${name}: disk full (${mb(fs.bavail * fs.bsize)} free)`);
  }

  async begin(name: string, size: number): Promise<string> {
    if (!formatFromPath(name)) throw new CodedError('invalid_input', `${name}: not an image file name (${READABLE_FORMATS.join(', ')})`);
    await this.reserve(name, size);
    const id = randomUUID();
    const dir = join(this.uploadsDir, STAGING_DIR);
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${id}.part`);
    const handle = await open(path, 'wx');
    this.sessions.set(id, { name, size, received: 0, path, handle, touched: Date.now() });
    return id;
  }

  async chunk(id: string, offset: number, data: Buffer): Promise<number> {
    const session = this.sessions.get(id);
    if (!session) throw new CodedError('not_found', `no upload ${id} (finished, abandoned or never begun)`);
    if (data.length > this.limits.chunkBytes) throw new CodedError('invalid_input', `a chunk is at most ${mb(this.limits.chunkBytes)}`);
    if (offset !== session.received) throw new CodedError('invalid_input', `chunk at ${offset}, expected ${session.received}`);
    if (session.received + data.length > session.size) {
      await this.abandon(id);
      throw new CodedError('invalid_input', `${session.name}: more bytes than the ${session.size} announced; upload dropped`);
    }
    if (offset === 0) {
      try {
        assertImageContent(session.name, data.subarray(0, 64));
      } catch (error) {
        await this.abandon(id);
        throw error;
      }
    }
    await session.handle.write(data, 0, data.length, offset);
    session.received += data.length;
    session.touched = Date.now();
    return session.received;
  }

  /** A complete upload's staging file, handed over (the caller moves it into its drop folder). */
  async take(id: string): Promise<{ name: string; path: string }> {
    const session = this.sessions.get(id);
    if (!session) throw new CodedError('not_found', `no upload ${id} (finished, abandoned or never begun)`);
    if (session.received !== session.size) throw new CodedError('invalid_input', `${session.name}: ${session.received} of ${session.size} bytes received`);
    this.sessions.delete(id);
    await session.handle.close();
    return { name: session.name, path: session.path };
  }

  private async abandon(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    await session.handle.close().catch(() => undefined);
    await rm(session.path, { force: true });
  }

  private async dropIdle(): Promise<void> {
    const now = Date.now();
    for (const [id, s] of this.sessions) if (now - s.touched > IDLE_MS) await this.abandon(id);
  }

  async close(): Promise<void> {
    clearInterval(this.sweep);
    for (const id of [...this.sessions.keys()]) await this.abandon(id);
    await rm(join(this.uploadsDir, STAGING_DIR), { recursive: true, force: true });
  }
}
