/**
 * Turns a drop on the window into queue additions. In Electron the preload may give each File its path
 * (folders then keep their structure on the service side); in a browser the bytes are uploaded, folders walked here.
 */
import type { JobSettingsPatch } from '../../src-common/api.js';
import { settings } from '../stores/settings.svelte.js';
import { UPLOAD_LIMITS } from '../../src-common/upload-limits.js';
import { call } from './client.js';

const IMAGE_EXT = /\.(png|jpe?g|webp|tiff?|avif|gif|bmp|heic|heif)$/i;
/** Inline files of one queue.upload stay well below the socket's message limit; base64 adds a third. */
const MAX_BATCH_BYTES = Math.floor(UPLOAD_LIMITS.messageBytes / 2);
const MAX_BATCH_FILES = 100;

/**
 * What came of an add: the images taken in (their header read, so they will be processed), the names of files that
 * went into the list although they cannot be read (they fail there with the reason), and paths that were refused.
 */
export interface AddOutcome { added: number; unreadable: string[]; problems: string[] }

/** A file to upload with its folder inside a dropped folder ('' for loose files). */
export interface UploadFile { file: File; relDir: string }

function outcomeOf(items: Array<{ input: string; pixels: number | null }>, problems: string[]): AddOutcome {
  const unreadable = items.filter((i) => i.pixels === null).map((i) => i.input.split(/[\\/]/).pop() ?? i.input);
  return { added: items.length - unreadable.length, unreadable, problems };
}

export async function addPaths(paths: string[], patch?: JobSettingsPatch): Promise<AddOutcome> {
  await settings.settled(); // a scale or model picked a moment ago applies to these images
  const { items, problems } = await call('queue.add', { paths, ...(patch ? { settings: patch } : {}) });
  return outcomeOf(items, problems);
}

export async function uploadFiles(files: Array<File | UploadFile>, patch?: JobSettingsPatch): Promise<AddOutcome> {
  await settings.settled();
  const outcome: AddOutcome = { added: 0, unreadable: [], problems: [] };
  let batch: Array<{ name: string; dataBase64?: string; uploadId?: string; relDir?: string }> = [];
  let bytes = 0;
  const flush = async (): Promise<void> => {
    if (!batch.length) return;
    const { items, problems } = await call('queue.upload', { files: batch, ...(patch ? { settings: patch } : {}) });
    const part = outcomeOf(items, problems);
    outcome.added += part.added;
    outcome.unreadable.push(...part.unreadable);
    outcome.problems.push(...part.problems);
    batch = [];
    bytes = 0;
  };
  for (const entry of files) {
    const { file, relDir } = entry instanceof File ? { file: entry, relDir: '' } : entry;
    const inline = file.size <= UPLOAD_LIMITS.inlineBytes;
    if (batch.length >= MAX_BATCH_FILES || (inline && batch.length && bytes + file.size > MAX_BATCH_BYTES)) await flush();
    if (inline) {
      batch.push({ name: file.name, dataBase64: await toBase64(file), ...(relDir ? { relDir } : {}) });
      bytes += file.size;
      continue;
    }
    // Larger files travel in chunks; the server checks the type at the first one and refuses what is over its limits.
    try {
      batch.push({ name: file.name, uploadId: await uploadInChunks(file), ...(relDir ? { relDir } : {}) });
    } catch (error) {
      outcome.problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  await flush();
  return outcome;
}

async function uploadInChunks(file: File): Promise<string> {
  const { uploadId } = await call('upload.begin', { name: file.name, size: file.size });
  for (let offset = 0; offset < file.size; offset += UPLOAD_LIMITS.chunkBytes) {
    const dataBase64 = await toBase64(file.slice(offset, offset + UPLOAD_LIMITS.chunkBytes));
    await call('upload.chunk', { uploadId, offset, dataBase64 });
  }
  return uploadId;
}

async function toBase64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

/**
 * What a drop carries: paths when the desktop bridge can name them, else the files themselves; dropped folders are
 * walked here and each file keeps its folder inside the drop (Trip/day1), so the output folder mirrors it.
 */
export async function readDrop(data: DataTransfer, pathForFile?: (file: File) => string): Promise<{ paths: string[]; files: UploadFile[] }> {
  const files = [...data.files];
  if (pathForFile) {
    const paths = files.map((f) => { try { return pathForFile(f); } catch { return ''; } }).filter(Boolean);
    if (paths.length === files.length) return { paths, files: [] };
  }
  const entries = [...data.items]
    .map((item) => (item.kind === 'file' && 'webkitGetAsEntry' in item ? item.webkitGetAsEntry() : null))
    .filter((e): e is FileSystemEntry => e !== null);
  if (!entries.length || entries.every((e) => e.isFile)) return { paths: [], files: files.map((file) => ({ file, relDir: '' })) };
  const walked: UploadFile[] = [];
  for (const entry of entries) await walk(entry, walked);
  return { paths: [], files: walked };
}

/** The folder part of an entry's path inside the drop: '/Trip/day1/a.png' → 'Trip/day1'. */
export function dropFolderOf(fullPath: string): string {
  return fullPath.split('/').filter(Boolean).slice(0, -1).join('/');
}

async function walk(entry: FileSystemEntry, out: UploadFile[]): Promise<void> {
  if (entry.isFile) {
    if (!IMAGE_EXT.test(entry.name)) return;
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, relDir: dropFolderOf(entry.fullPath) });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  for (;;) {
    // readEntries answers in pages; an empty page is the end.
    const page = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (!page.length) break;
    for (const child of page) await walk(child, out);
  }
}
