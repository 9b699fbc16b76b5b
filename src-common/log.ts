/** One log line as services emit it and the `log` event carries it to the renderer. */
import * as z from 'zod';
import { Timestamp } from './primitives.js';

export const LogLevel = z.enum(['debug', 'info', 'warn', 'error']);
export type LogLevel = z.infer<typeof LogLevel>;

/** Which part of the app speaks; a new service adds its name here. */
export const LogSource = z.enum(['queue', 'watch', 'settings', 'training', 'models', 'state']);
export type LogSource = z.infer<typeof LogSource>;

export const LogEntry = z.object({
  level: LogLevel, source: LogSource, message: z.string(), time: Timestamp,
  /** The queue item a line is about (its row already shows the outcome). */
  itemId: z.string().optional(),
});
export type LogEntry = z.infer<typeof LogEntry>;
