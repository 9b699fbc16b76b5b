/**
 * Turns a drop on the window into queue additions. In Electron the preload may give each File its path
 * (folders then keep their structure on the service side); in a browser the bytes are uploaded, folders walked here.
 */
import type { JobSettingsPatch } from '../../src-common/api.js';
import { call } from './client.js';

const IMAGE_EXT = /\.(png|jpe?g|webp|tiff?|avif|gif|bmp|heic|heif)$/i;
/** Stay well below the socket's message limit; base64 adds a third. */
const MAX_BATCH_BYTES = 48 * 1024 * 1024;
const MAX_BATCH_FILES = 100;

export interface AddOutcome { added: number; problems: string[] }

export async function addPaths(paths: string[], settings?: JobSettingsPatch): Promise<AddOutcome> {
  const { items, problems } = await call('queue.add', { paths, ...(settings ? { settings } : {}) });
  return { added: items.length, problems };
}

export async function uploadFiles(files: File[], settings?: JobSettingsPatch): Promise<AddOutcome> {
  const outcome: AddOutcome = { added: 0, problems: [] };
  let batch: Array<{ name: string; dataBase64: string }> = [];
  let bytes = 0;
  const flush = async (): Promise<void> => {
    if (!batch.length) return;
    const { items, problems } = await call('queue.upload', { files: batch, ...(settings ? { settings } : {}) });
    outcome.added += items.length;
    outcome.problems.push(...problems);
    batch = [];
    bytes = 0;
  };
  for (const file of files) {
    if (batch.length >= MAX_BATCH_FILES || (batch.length && bytes + file.size > MAX_BATCH_BYTES)) await flush();
    batch.push({ name: file.name, dataBase64: await toBase64(file) });
    bytes += file.size;
  }
  await flush();
  return outcome;
}

async function toBase64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

/** What a drop carries: paths when the desktop bridge can name them, else the files themselves (folders walked). */
export async function readDrop(data: DataTransfer, pathForFile?: (file: File) => string): Promise<{ paths: string[]; files: File[] }> {
  const files = [...data.files];
  if (pathForFile) {
    const paths = files.map((f) => { try { return pathForFile(f); } catch { return ''; } }).filter(Boolean);
    if (paths.length === files.length) return { paths, files: [] };
  }
  const entries = [...data.items]
    .map((item) => (item.kind === 'file' && 'webkitGetAsEntry' in item ? item.webkitGetAsEntry() : null))
    .filter((e): e is FileSystemEntry => e !== null);
  if (!entries.length || entries.every((e) => e.isFile)) return { paths: [], files };
  const walked: File[] = [];
  for (const entry of entries) await walk(entry, walked);
  return { paths: [], files: walked };
}

async function walk(entry: FileSystemEntry, out: File[]): Promise<void> {
  if (entry.isFile) {
    if (!IMAGE_EXT.test(entry.name)) return;
    out.push(await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject)));
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
