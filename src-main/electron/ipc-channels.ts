/**
 * Channel names shared by the main-process transport and the preload bridge. The sandboxed preload cannot import
 * project modules, so preload.cts repeats these strings; a unit test keeps the two in step.
 */
export const IPC_CALL_CHANNEL = 'subpixel:call';
export const IPC_EVENT_CHANNEL = 'subpixel:event';
