/** One ffmpeg child process with its stderr kept (the tail, for messages) and its end as a promise. */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { VideoError, stderrTail } from './errors.js';

export interface FfmpegProcess {
  child: ChildProcessByStdio<Writable, Readable, Readable>;
  /** Resolves when ffmpeg exits 0; rejects with a VideoError naming what it said otherwise. */
  done: Promise<void>;
  /** The last lines ffmpeg wrote to stderr. */
  tail(): string;
  kill(): void;
}

export function spawnFfmpeg(file: string, args: string[], what: string, onStderrLine?: (line: string) => void): FfmpegProcess {
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
  const lines: string[] = [];
  let partial = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      onStderrLine?.(line);
      lines.push(line);
      if (lines.length > 40) lines.shift();
    }
  });
  // A child that exits early closes its pipes; writes then fail with EPIPE, reported through `done` instead.
  child.stdin.on('error', () => {});
  const tail = (): string => stderrTail([...lines, partial].join('\n'), 3);
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (error) => reject(new VideoError('ffmpeg-failed', `${what}: cannot run ffmpeg: ${error.message}`, { cause: error })));
    child.on('close', (code, signal) => {
      if (partial) { onStderrLine?.(partial); lines.push(partial); partial = ''; }
      if (code === 0) resolve();
      else reject(new VideoError('ffmpeg-failed', `${what} failed (${signal ?? `exit ${code}`}): ${tail() || 'no message'}`));
    });
  });
  done.catch(() => {});
  return {
    child, done, tail,
    kill: () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); },
  };
}

/** Writes a buffer, resolving once the pipe has taken it (backpressure), or rejecting when the process is gone. */
export function writeTo(proc: FfmpegProcess, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const stdin = proc.child.stdin;
    if (stdin.destroyed || !stdin.writable) { reject(new VideoError('ffmpeg-failed', `encoder stopped: ${proc.tail() || 'pipe closed'}`)); return; }
    const ok = stdin.write(data, (error) => { if (error) reject(new VideoError('ffmpeg-failed', `encoder stopped: ${proc.tail() || error.message}`)); });
    if (ok) resolve();
    else {
      const onDrain = (): void => { cleanup(); resolve(); };
      const onClose = (): void => { cleanup(); reject(new VideoError('ffmpeg-failed', `encoder stopped: ${proc.tail() || 'pipe closed'}`)); };
      const cleanup = (): void => { stdin.off('drain', onDrain); stdin.off('close', onClose); };
      stdin.on('drain', onDrain);
      stdin.on('close', onClose);
    }
  });
}

/**
 * Frames of `size` bytes from a readable stream, one buffer each (a fresh one per frame: the consumer may keep
 * it while the next is read). Memory is one frame plus the pipe buffer; the decoder waits when nobody reads.
 */
export async function* readFrames(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let frame = Buffer.allocUnsafeSlow(size);
  let filled = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(size - filled, chunk.length - offset);
      chunk.copy(frame, filled, offset, offset + take);
      filled += take;
      offset += take;
      if (filled === size) {
        yield frame;
        frame = Buffer.allocUnsafeSlow(size);
        filled = 0;
      }
    }
  }
  if (filled) throw new VideoError('corrupt', `decoder ended inside a frame (${filled} of ${size} bytes)`);
}
