/**
 * Preload of the Subpixel window (sandboxed, context-isolated). Exposes exactly the API contract as
 * `window.subpixel`: `call(command, input)`, `subscribe(event, listener)` and `pathForFile(file)` for drops,
 * nothing of Node or of ipcRenderer.
 *
 * Sandboxed preloads run as CommonJS and may only require 'electron', so the channel names are repeated here
 * (see ipc-channels.ts; a unit test checks they agree) and no validation library is loaded: the main process
 * validates every call.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';

const CALL_CHANNEL = 'subpixel:call';
const EVENT_CHANNEL = 'subpixel:event';

type Listener = (payload: unknown) => void;
const listeners = new Map<string, Set<Listener>>();

ipcRenderer.on(EVENT_CHANNEL, (_event: IpcRendererEvent, message: { event: string; payload: unknown }) => {
  const set = listeners.get(message?.event);
  if (!set) return;
  for (const listener of set) {
    try { listener(message.payload); } catch (error) { console.error('[subpixel] event listener failed', error); }
  }
});

contextBridge.exposeInMainWorld('subpixel', {
  call: (command: string, input: unknown): Promise<unknown> => ipcRenderer.invoke(CALL_CHANNEL, command, input),
  subscribe: (event: string, listener: Listener): (() => void) => {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    let set = listeners.get(event);
    if (!set) { set = new Set(); listeners.set(event, set); }
    set.add(listener);
    return () => { set.delete(listener); };
  },
  /** The path of a File dropped from the file manager ('' for one made in the page); no file access. */
  pathForFile: (file: File): string => webUtils.getPathForFile(file),
});
