import { matchesGlob, relative, resolve, sep } from 'node:path';
import { isImagePath } from '../jobs/expand.js';
import { isFilmScanPath, isVideoPath } from '../../src-common/video-files.js';
import type { WatchConfig } from './types.js';

export interface PathFilter {
  /** For chokidar's `ignored`: called with and without stats, for folders and files. */
  ignored(path: string, stats?: { isFile(): boolean; isDirectory(): boolean }): boolean;
  /** For a file found by a scan or an event. */
  accepts(path: string): boolean;
}

function inside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== '..');
}

/**
 * What a watch takes: images under its folder (top level only unless recursive), minus hidden names (the engine's
 * temp files start with a dot), minus our own output and move-to folders, filtered by include/exclude globs.
 */
export function createPathFilter(config: WatchConfig): PathFilter {
  const root = resolve(config.folder);
  const excludedDirs = [
    config.settings.outputDir,
    config.afterSuccess.action === 'move' ? config.afterSuccess.folder : null,
  ].filter((d): d is string => !!d).map((d) => resolve(d)).filter((d) => inside(root, d) && d !== root);

  const outOfScope = (path: string): boolean => {
    const abs = resolve(path);
    if (abs === root) return false;
    if (!inside(root, abs)) return true;
    if (excludedDirs.some((d) => inside(d, abs))) return true;
    const parts = relative(root, abs).split(sep);
    return parts.some((p) => p.startsWith('.'));
  };

  const fileWanted = (path: string): boolean => {
    const abs = resolve(path);
    const rel = relative(root, abs);
    if (!config.recursive && rel.includes(sep)) return false;
    if (!isImagePath(abs) && !isVideoPath(abs) && !isFilmScanPath(abs)) return false;
    const posix = rel.split(sep).join('/');
    if (config.include.length && !config.include.some((g) => matchesGlob(posix, g))) return false;
    return !config.exclude.some((g) => matchesGlob(posix, g));
  };

  return {
    ignored(path, stats) {
      if (outOfScope(path)) return true;
      if (stats?.isFile()) return !fileWanted(path);
      if (stats?.isDirectory() && !config.recursive) return resolve(path) !== root;
      return false;
    },
    accepts(path) {
      return !outOfScope(path) && fileWanted(path);
    },
  };
}
