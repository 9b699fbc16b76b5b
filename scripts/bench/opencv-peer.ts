/**
 * The OpenCV dnn_superres ESPCN peer of `npm run bench`: what a user would run instead of Subpixel for ESPCN.
 * It runs in Python (Debian's python3-opencv) through `opencv_peer.py`, with the ESPCN weights OpenCV documents
 * (../shared/peers/opencv-espcn).
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./opencv_peer.py', import.meta.url));
export const OPENCV_WEIGHTS_DIR = fileURLToPath(new URL('../../../shared/peers/opencv-espcn/', import.meta.url));
export const OPENCV_INSTALL_HINT = 'apt-get install -y python3-opencv (Debian/Ubuntu; the bench tries /usr/bin/python3, then python3)';

/** A Python that imports cv2 with dnn_superres, or why there is none. */
export function findOpenCvPython(): { python: string } | { missing: string } {
  if (!existsSync(`${OPENCV_WEIGHTS_DIR}ESPCN_x4.pb`)) return { missing: `no ESPCN weights in ${OPENCV_WEIGHTS_DIR}` };
  for (const python of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(python, ['-c', 'import cv2; cv2.dnn_superres.DnnSuperResImpl_create()'], { stdio: 'ignore' });
      return { python };
    } catch {
      // next candidate
    }
  }
  return { missing: `OpenCV with dnn_superres not found: ${OPENCV_INSTALL_HINT}` };
}

export interface FramePeer {
  /** Upsamples the peer's frame once at `scale`; resolves with the milliseconds spent inside `upsample`. */
  upsample(scale: 2 | 3 | 4): Promise<number>;
  close(): void;
}

/** Starts the peer with its models loaded and `framePath` decoded, ready for timed requests in turns with ours. */
export async function startFramePeer(python: string, framePath: string, threads: number): Promise<FramePeer> {
  const child: ChildProcessWithoutNullStreams = spawn(python, [script, 'serve', OPENCV_WEIGHTS_DIR, framePath, String(threads)]);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`OpenCV peer exited: ${stderr.trim().split('\n').pop() ?? ''}`);
    return value as string;
  };
  const ready = await next();
  if (ready !== 'ready') throw new Error(`OpenCV peer: ${ready}`);
  return {
    async upsample(scale) {
      child.stdin.write(`x${scale}\n`);
      const reply = await next();
      const ms = Number(reply);
      if (!Number.isFinite(ms)) throw new Error(`OpenCV peer: ${reply}`);
      return ms;
    },
    close() {
      child.stdin.end();
    },
  };
}

/** The folder job done with OpenCV (read, upsample, write TIFF) as one process; resolves with its wall time in ms. */
export function runFolderPeer(python: string, inDir: string, outDir: string, scale: 2 | 3 | 4, threads: number): Promise<number> {
  return timeProcess(python, [script, 'folder', OPENCV_WEIGHTS_DIR, inDir, outDir, String(scale), String(threads)]);
}

/** Runs a command to completion; resolves with its wall time in ms, rejects with its stderr when it fails. */
export function timeProcess(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - started;
      if (code === 0) resolve(ms);
      else reject(new Error(`${command} ${args.slice(0, 2).join(' ')} exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}
