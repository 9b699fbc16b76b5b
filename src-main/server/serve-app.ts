import { isAbsolute, resolve } from 'node:path';
import { withDisposables } from '../common/disposable.js';
import type { Dispatcher } from '../api/dispatcher.js';
import { createAppDispatcher } from '../api/handlers.js';
import { openAppServices, type AppServices, type OpenServicesOptions } from '../api/services.js';
import { defaultRendererDir } from './static-files.js';
import { startApiServer, type ApiServer } from './ws-server.js';

export interface BrowserModeOptions extends OpenServicesOptions {
  host?: string;
  port?: number;
  /** Renderer build to serve; default the repository's build output, or a placeholder page when there is none. */
  staticDir?: string | null;
  token?: string;
}

export interface BrowserMode {
  server: ApiServer;
  services: AppServices;
  dispatcher: Dispatcher;
  stop(): Promise<void>;
}

/** Services + dispatcher + HTTP/WebSocket server: the whole app without a window (`subpixel serve`, `npm start` fallback). */
export async function startBrowserMode(options: BrowserModeOptions = {}): Promise<BrowserMode> {
  const allow = (options.allow ?? []).map((dir) => (isAbsolute(dir) ? dir : resolve(dir)));
  const { value, store } = await withDisposables(async (store) => {
    const services = store.add(await openAppServices({ role: 'subpixel serve', ...options, allow }), (s) => s.close());
    const { dispatcher, detach } = createAppDispatcher(services);
    store.defer(detach);
    const server = store.add(await startApiServer({
      dispatcher,
      host: options.host,
      port: options.port,
      token: options.token,
      staticDir: options.staticDir === undefined ? defaultRendererDir() : options.staticDir,
      files: services.roots,
    }), (s) => s.close());
    // A second process pointed at this state folder is told where to find this one.
    await services.lock.setUrl(server.url);
    return { server, services, dispatcher };
  });
  return { ...value, stop: () => store.dispose() };
}
