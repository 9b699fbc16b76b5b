/**
 * Limits of browser-mode uploads and of WebSocket messages. A command is a small message; a file travels in chunks of
 * at most `chunkBytes` (upload.begin / upload.chunk), is type-checked by its first bytes before it is kept, and the
 * uploads folder as a whole stays within `budgetBytes`. Small files may still come inline in queue.upload.
 * Zod-free: the renderer imports it as a value.
 */
export const UPLOAD_LIMITS = {
  /** Largest WebSocket message the server accepts. */
  messageBytes: 4 * 1024 * 1024,
  chunkBytes: 1024 * 1024,
  /** Largest file inlined as base64 in queue.upload (the rest go in chunks). */
  inlineBytes: 256 * 1024,
  fileBytes: 1024 * 1024 * 1024,
  budgetBytes: 8 * 1024 * 1024 * 1024,
} as const;

