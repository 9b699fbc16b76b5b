import { access, constants, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * File-system failures in one plain line. libvips reports a full disk as a dozen lines ("write error / system error:
 * No space left on device / wbuffer_write: write failed …"), and Node's recursive mkdir on a read-only file system says
 * ENOENT; a user needs "disk full" and "read-only file system".
 */
export function plainIoMessage(error: unknown, path?: string): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const text = error instanceof Error ? error.message : String(error);
  const target = path ? `: cannot write ${path}` : '';
  if (code === 'ENOSPC' || /No space left on device/i.test(text)) return `disk full${target}`;
  if (code === 'EDQUOT' || /Disk quota exceeded/i.test(text)) return `disk quota exceeded${target}`;
  if (code === 'EROFS' || /Read-only file system/i.test(text)) return `read-only file system${target}`;
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.length <= 1) return lines[0] ?? text;
  const system = lines.find((l) => l.startsWith('system error:') && !/Unknown error/.test(l));
  return system ? `${lines[0]} (${system.slice('system error:'.length).trim()})` : lines[0];
}

const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'no such file or folder', EACCES: 'permission denied', EPERM: 'permission denied', ELOOP: 'too many levels of symbolic links',
};

/** A read failure's cause in a few words (for "cannot read this folder (…)"): the errno in words, else its code or message. */
export function errnoWords(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (code && ERRNO_WORDS[code]) ?? code ?? (error instanceof Error ? error.message : String(error));
}

/**
 * Why `folder` cannot be created or written, in words, or null when it can: it is a file, it lies on a read-only file
 * system, permission is denied, or the disk is full. Looks at the nearest part of the path that exists.
 */
export async function folderProblem(folder: string): Promise<string | null> {
  let existing = folder;
  for (;;) {
    const info = await stat(existing).catch((error: NodeJS.ErrnoException) => error);
    if (!(info instanceof Error)) {
      if (!info.isDirectory()) return existing === folder ? `${folder} is a file, not a folder` : `${existing} is a file, so ${folder} cannot be created`;
      break;
    }
    if (info.code !== 'ENOENT') return `${folder}: ${plainIoMessage(info)}`;
    const parent = dirname(existing);
    if (parent === existing) return null;
    existing = parent;
  }
  try {
    await access(existing, constants.W_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EROFS') return `${existing} is on a read-only file system`;
    if (code === 'EACCES' || code === 'EPERM') return `permission denied: cannot write in ${existing}`;
    return `${folder}: ${plainIoMessage(error)}`;
  }
}
