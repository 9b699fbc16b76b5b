/**
 * What the tray and the window's close button do, as plain decisions (no 'electron' import).
 *
 * Watch folders only work while the app runs, so closing the window while a watch is active hides the window to
 * the tray instead of quitting; Quit (menu, tray, Cmd+Q) always quits.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { QueueSummary } from '../../src-common/api.js';

export interface CloseContext {
  /** Quit was chosen (menu, tray, Cmd+Q, OS shutdown): never keep the window. */
  quitting: boolean;
  /** Watches that are enabled (not paused), whatever their folder's state. */
  activeWatches: number;
  /** A tray icon exists to bring the window back. */
  hasTray: boolean;
}

export type CloseAction = 'hide-to-tray' | 'close';

export function closeAction(ctx: CloseContext): CloseAction {
  if (ctx.quitting) return 'close';
  return ctx.activeWatches > 0 && ctx.hasTray ? 'hide-to-tray' : 'close';
}

/** Said once per run when the window first hides to the tray, so the user knows where the app went. */
export function hiddenToTrayNotice(activeWatches: number): { title: string; body: string } {
  const folders = activeWatches === 1 ? '1 watch folder' : `${activeWatches} watch folders`;
  return { title: 'Subpixel is still running', body: `Keeping ${folders} running. Use the tray icon to open Subpixel or quit.` };
}

export interface TrayState {
  windowVisible: boolean;
  activeWatches: number;
  queuePaused: boolean;
  summary: QueueSummary | null;
}

export interface TrayActions {
  showWindow(): void;
  hideWindow(): void;
  pauseQueue(): void;
  resumeQueue(): void;
  quit(): void;
}

/** One line for the tray tooltip: what is running right now. */
export function trayTooltip(state: Pick<TrayState, 'activeWatches' | 'summary'>): string {
  const parts = ['Subpixel'];
  const counts = state.summary?.counts;
  const pending = counts ? (counts.queued ?? 0) + (counts.running ?? 0) : 0;
  if (pending > 0) parts.push(`${pending} ${pending === 1 ? 'image' : 'images'} to upscale (${Math.round((state.summary?.fraction ?? 0) * 100)} %)`);
  if (state.activeWatches > 0) parts.push(`watching ${state.activeWatches} ${state.activeWatches === 1 ? 'folder' : 'folders'}`);
  if (parts.length === 1) parts.push('idle');
  return parts.join(' — ');
}

export function trayMenuTemplate(state: TrayState, actions: TrayActions): MenuItemConstructorOptions[] {
  return [
    state.windowVisible
      ? { id: 'hide', label: 'Hide Subpixel', click: () => actions.hideWindow() }
      : { id: 'show', label: 'Open Subpixel', click: () => actions.showWindow() },
    { type: 'separator' },
    { id: 'status', label: trayTooltip(state).replace(/^Subpixel — /, ''), enabled: false },
    state.queuePaused
      ? { id: 'resume', label: 'Resume Queue', click: () => actions.resumeQueue() }
      : { id: 'pause', label: 'Pause Queue', click: () => actions.pauseQueue() },
    { type: 'separator' },
    { id: 'quit', label: 'Quit Subpixel', click: () => actions.quit() },
  ];
}
