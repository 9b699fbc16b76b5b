import type * as z from 'zod';
import {
  commands, events, isCommandName, isEventName, issueLines,
  type AnyEvent, type ApiError, type CommandName, type CommandOutput, type ErrorCode, type EventName,
  type EventPayload, type ParsedInput, type Result,
} from '../../src-common/api.js';
import { errorCodeOf, errorMessageOf, type ErrorCode as InternalCode } from '../common/errors.js';
import type { AllowedRoots } from '../services/roots.js';

/** Which transport a call came through: native dialogs exist only in Electron. */
export interface CallContext {
  transport: 'electron' | 'browser';
}

export type Handler<K extends CommandName> = (input: ParsedInput<K>, ctx: CallContext) => Promise<CommandOutput<K>>;
export type Handlers = { [K in CommandName]: Handler<K> };

/** A failure a handler reports on purpose, with the code the caller sees. */
export class ApiFailure extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'ApiFailure';
  }
}

export type EventListener = (event: AnyEvent) => void;

export interface Dispatcher {
  /** Never throws: every failure comes back as `{ ok: false, error }`. */
  call(command: unknown, input: unknown, ctx: CallContext): Promise<Result<unknown>>;
  emit<K extends EventName>(event: K, payload: EventPayload<K>): void;
  subscribe(listener: EventListener): () => void;
}

export interface DispatcherOptions {
  /** One handler per command (the type checks that none is missing; untyped callers without one get `unavailable`). */
  handlers: Handlers;
  roots: AllowedRoots;
  /** Check handler outputs and emitted events against the contract (dev and test; off in production). */
  validateOutputs?: boolean;
  /** Where internal errors and dropped events are reported. */
  onInternalError?: (message: string, error?: unknown) => void;
}

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { handlers, roots } = options;
  const validate = options.validateOutputs ?? process.env.NODE_ENV !== 'production';
  const report = options.onInternalError ?? ((message, error) => console.error(`[api] ${message}`, error ?? ''));
  const listeners = new Set<EventListener>();

  async function call(command: unknown, input: unknown, ctx: CallContext): Promise<Result<unknown>> {
    if (!isCommandName(command)) {
      return fail('unknown_command', `unknown command ${JSON.stringify(command)}`);
    }
    const spec = commands[command] as { input: z.ZodType; output: z.ZodType; paths?: (i: unknown) => Array<string | null | undefined> };
    const parsed = spec.input.safeParse(input ?? {});
    if (!parsed.success) {
      const details = issueLines(parsed.error);
      return { ok: false, error: { code: 'bad_request', message: `invalid input: ${details.join('; ')}`, details } };
    }
    for (const path of spec.paths?.(parsed.data) ?? []) {
      if (path == null) continue;
      if ((await roots.resolveInside(path)) === null) {
        return fail('forbidden_path', outsideMessage(path, roots.list(), ctx));
      }
    }
    const handler = handlers[command] as ((i: unknown, c: CallContext) => Promise<unknown>) | undefined;
    if (!handler) return fail('unavailable', 'this part of Subpixel is not running here');
    let value: unknown;
    try {
      value = await handler(parsed.data, ctx);
    } catch (error) {
      return { ok: false, error: toApiError(command, error, report) };
    }
    if (validate) {
      const checked = spec.output.safeParse(value);
      if (!checked.success) {
        const message = `${command}: output does not match the contract: ${issueLines(checked.error).join('; ')}`;
        report(message);
        return fail('internal', message);
      }
      value = checked.data;
    }
    return { ok: true, value };
  }

  function emit<K extends EventName>(event: K, payload: EventPayload<K>): void {
    if (validate) {
      if (!isEventName(event)) { report(`dropped unknown event ${String(event)}`); return; }
      const checked = events[event].safeParse(payload);
      if (!checked.success) {
        report(`dropped event ${event}: payload does not match the contract: ${issueLines(checked.error).join('; ')}`);
        return;
      }
    }
    const message = { event, payload } as AnyEvent;
    for (const listener of listeners) {
      // One broken subscriber (a closed socket, a destroyed window) must not starve the others.
      try { listener(message); } catch (error) { report(`event listener failed on ${event}`, error); }
    }
  }

  return {
    call,
    emit,
    subscribe(listener) {
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
  };
}

/** Why a path was refused and how to fix it, in words (the command's name means nothing to the person reading it). */
export function outsideMessage(path: string, roots: string[], ctx: CallContext): string {
  // A file's folder, or the folder itself when the path names one (no extension).
  const folder = /\.[A-Za-z0-9]{1,5}$/.test(path) ? path.replace(/[\\/][^\\/]*$/, '') || path : path;
  const how = ctx.transport === 'browser'
    ? `add ${folder} under Settings → Allowed folders, or start Subpixel with --allow ${folder}`
    : `choose it with Browse… or add ${folder} under Settings → Allowed folders`;
  return `${path} is outside the allowed folders (${roots.join(', ')}). To use it, ${how}.`;
}

function fail(code: ErrorCode, message: string): Result<never> {
  return { ok: false, error: { code, message } };
}

/** The one mapping from the kinds errors carry inside the app (common/errors.ts) to the API's codes. */
const API_CODES: Record<Exclude<InternalCode, 'internal'>, ErrorCode> = {
  canceled: 'canceled',
  not_found: 'not_found',
  invalid_input: 'bad_request',
  unsupported: 'unsupported',
  conflict: 'conflict',
  permission: 'forbidden_path',
};

/** Maps what a service threw to the error the caller sees; unexpected errors keep their message and are reported. */
export function toApiError(command: string, error: unknown, report: (message: string, error?: unknown) => void): ApiError {
  if (error instanceof ApiFailure) return { code: error.code, message: error.message };
  const kind = errorCodeOf(error);
  const message = errorMessageOf(error);
  if (kind !== 'internal') return { code: API_CODES[kind], message };
  report(`${command} failed`, error);
  return { code: 'internal', message };
}
