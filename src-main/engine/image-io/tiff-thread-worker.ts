// Worker-thread entry of tiff-thread.ts: writes the TIFFs handed to it, one at a time in the order they come.
import { parentPort } from 'node:worker_threads';
import { serializeError } from '../../common/errors.js';
import { writeTiff } from './tiff.js';
import type { TiffReply, TiffRequest } from './tiff-thread-protocol.js';

if (!parentPort) throw new Error('tiff-thread-worker must run in a worker thread');
const port = parentPort;
const send = (reply: TiffReply): void => port.postMessage(reply);
// Buffers lose their class on the way here; the writer wants Buffers.
const asBuffer = (bytes: Uint8Array | undefined): Buffer | undefined => bytes && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

port.on('message', (request: TiffRequest) => {
  const { id, path, width, height, channels, bitDepth, data, meta, keepMetadata } = request;
  writeTiff(path, { width, height, channels, bitDepth, data }, {
    keepMetadata,
    meta: meta && { ...meta, icc: asBuffer(meta.icc), exif: asBuffer(meta.exif), xmp: asBuffer(meta.xmp) },
  }).then(
    (result) => send({ id, result }),
    (error: unknown) => send({ id, error: serializeError(error) }),
  );
});
