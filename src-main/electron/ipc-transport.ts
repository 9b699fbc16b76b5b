import { pathToFileURL } from 'node:url';
// Types only: this module stays loadable (and testable) in plain Node; the Electron objects are passed in.
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { AnyEvent, Result } from '../../src-common/api.js';
import type { Dispatcher } from '../api/dispatcher.js';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from './ipc-channels.js';

/** The part of Electron's WebFrameMain the trust check reads. */
export interface SenderFrameLike {
  url: string;
  parent: unknown;
}

/** The part of Electron's IpcMainInvokeEvent the handler reads. */
export interface InvokeEventLike {
  senderFrame: SenderFrameLike | null;
  sender?: { id: number };
}

export interface IpcTrust {
  /** True for the URLs our renderer is loaded from (the built index.html, or the dev server in development). */
  isAppUrl(url: string): boolean;
  /** True for the webContents of our own windows; absent = any (the URL check still applies). */
  isOwnWebContents?(sender: { id: number }): boolean;
}

/**
 * Accepts the built renderer folder (file:// URLs under it), the app's own scheme origin (`subpixel://app`, see
 * app-protocol.ts) and, in development, a dev server origin.
 * Anything else (a page navigated elsewhere, an iframe, devtools extensions) is not our frame.
 */
export function appUrlMatcher(options: { rendererDir?: string; devServerUrl?: string; appOrigin?: string }): (url: string) => boolean {
  const filePrefix = options.rendererDir ? pathToFileURL(options.rendererDir).href.replace(/\/?$/, '/') : null;
  const devOrigin = options.devServerUrl ? new URL(options.devServerUrl).origin : null;
  return (url) => {
    let parsed: URL;
    try { parsed = new URL(url); } catch { return false; }
    // Custom schemes have an opaque URL.origin in Node, so compare scheme and host.
    if (options.appOrigin && `${parsed.protocol}//${parsed.host}` === options.appOrigin) return parsed.username === '' && parsed.password === '';
    if (filePrefix && parsed.protocol === 'file:') return parsed.host === '' && `file://${parsed.pathname}`.startsWith(filePrefix);
    if (devOrigin && (parsed.protocol === 'http:' || parsed.protocol === 'https:')) return parsed.origin === devOrigin;
    return false;
  };
}

export function isTrustedSender(event: InvokeEventLike, trust: IpcTrust): boolean {
  const frame = event.senderFrame;
  // A frame that navigated away or was destroyed reads as null: refuse rather than guess.
  if (!frame) return false;
  if (frame.parent !== null) return false; // only the top-level frame, never an embedded one
  if (!trust.isAppUrl(frame.url)) return false;
  if (trust.isOwnWebContents && (!event.sender || !trust.isOwnWebContents(event.sender))) return false;
  return true;
}

/** What ipcMain.handle calls: `(event, command, input)` → a typed result; never throws. */
export function createIpcCallHandler(dispatcher: Dispatcher, trust: IpcTrust) {
  return async (event: InvokeEventLike, command: unknown, input: unknown): Promise<Result<unknown>> => {
    if (!isTrustedSender(event, trust)) {
      return { ok: false, error: { code: 'forbidden', message: 'IPC refused: the sender is not the Subpixel window' } };
    }
    return dispatcher.call(command, input, { transport: 'electron' });
  };
}

/** The part of WebContents used to push events. */
export interface EventTarget {
  isDestroyed(): boolean;
  send(channel: string, message: AnyEvent): void;
  once(event: 'destroyed', listener: () => void): unknown;
}

/** Pushes every contract event to one window until it is destroyed; the preload filters per subscriber. */
export function forwardEvents(dispatcher: Dispatcher, target: EventTarget): () => void {
  const stop = dispatcher.subscribe((message) => {
    if (!target.isDestroyed()) target.send(IPC_EVENT_CHANNEL, message);
  });
  target.once('destroyed', stop);
  return stop;
}

/** Registers the contract on Electron's ipcMain (one invoke channel); returns a function that removes it. */
export function registerIpcTransport(ipcMain: IpcMain, dispatcher: Dispatcher, trust: IpcTrust): () => void {
  const handler = createIpcCallHandler(dispatcher, trust);
  ipcMain.handle(IPC_CALL_CHANNEL, (event: IpcMainInvokeEvent, command: unknown, input: unknown) => handler(event, command, input));
  return () => ipcMain.removeHandler(IPC_CALL_CHANNEL);
}

/** Starts pushing events to a window's webContents (call once per window). */
export function attachWindow(dispatcher: Dispatcher, webContents: WebContents): () => void {
  return forwardEvents(dispatcher, webContents);
}

/** The part of Electron's dialog module used for `dialog.open`. */
export interface OpenDialogLike {
  showOpenDialog(options: { title?: string; properties: Array<'openFile' | 'openDirectory' | 'multiSelections'> }): Promise<{ canceled: boolean; filePaths: string[] }>;
}

/** `AppServices.pickPaths` for the desktop app: the system open dialog (what the user picks becomes an allowed root). */
export function dialogPicker(dialog: OpenDialogLike) {
  return async (request: { kind: 'files' | 'folder'; multiple: boolean; title?: string }): Promise<string[]> => {
    const properties: Array<'openFile' | 'openDirectory' | 'multiSelections'> = [request.kind === 'folder' ? 'openDirectory' : 'openFile'];
    if (request.multiple) properties.push('multiSelections');
    const result = await dialog.showOpenDialog({ ...(request.title ? { title: request.title } : {}), properties });
    return result.canceled ? [] : result.filePaths;
  };
}
