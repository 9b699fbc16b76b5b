/**
 * The application menu as a template (no 'electron' import): main.ts hands it to Menu.buildFromTemplate.
 * Actions are passed in, so the template can be checked item by item in a unit test.
 */
import type { MenuItemConstructorOptions } from 'electron';

export type Theme = 'system' | 'light' | 'dark';

export interface MenuActions {
  addFiles(): void;
  addFolder(): void;
  openStateFolder(): void;
  setTheme(theme: Theme): void;
  showAbout(): void;
  quit(): void;
}

export interface MenuContext {
  platform: NodeJS.Platform;
  /** Development build: reload and developer tools are offered. */
  isDev: boolean;
  theme: Theme;
  appName: string;
}

export function appMenuTemplate(ctx: MenuContext, actions: MenuActions): MenuItemConstructorOptions[] {
  const mac = ctx.platform === 'darwin';
  const themeItem = (theme: Theme, label: string): MenuItemConstructorOptions => ({
    id: `theme-${theme}`, label, type: 'radio', checked: ctx.theme === theme, click: () => actions.setTheme(theme),
  });
  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      { id: 'add-files', label: 'Add Images…', accelerator: 'CmdOrCtrl+O', click: () => actions.addFiles() },
      { id: 'add-folder', label: 'Add Folder…', accelerator: 'CmdOrCtrl+Shift+O', click: () => actions.addFolder() },
      { type: 'separator' },
      { id: 'open-state-folder', label: 'Show App Data Folder', click: () => actions.openStateFolder() },
      // On macOS Quit lives in the app menu; Close Window keeps the platform's Cmd+W.
      ...(mac
        ? [{ type: 'separator' as const }, { role: 'close' as const }]
        : [{ type: 'separator' as const }, { id: 'quit', label: 'Quit', accelerator: 'CmdOrCtrl+Q', click: () => actions.quit() }]),
    ],
  };
  const edit: MenuItemConstructorOptions = {
    label: '&Edit',
    submenu: [
      { role: 'undo' }, { role: 'redo' }, { type: 'separator' },
      { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' },
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      ...(ctx.isDev
        ? [{ role: 'reload' as const }, { role: 'forceReload' as const }, { role: 'toggleDevTools' as const }, { type: 'separator' as const }]
        : []),
      { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' },
      { type: 'separator' },
      {
        id: 'theme',
        label: 'Theme',
        submenu: [themeItem('system', 'Follow System'), themeItem('light', 'Light'), themeItem('dark', 'Dark')],
      },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
  const windowMenu: MenuItemConstructorOptions = { role: 'windowMenu' };
  const help: MenuItemConstructorOptions = {
    role: 'help',
    submenu: [{ id: 'about', label: `About ${ctx.appName}`, click: () => actions.showAbout() }],
  };
  const appMenu: MenuItemConstructorOptions = {
    label: ctx.appName,
    submenu: [
      { id: 'about-mac', label: `About ${ctx.appName}`, click: () => actions.showAbout() },
      { type: 'separator' },
      { role: 'services' },
      { type: 'separator' },
      { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' },
      { type: 'separator' },
      { id: 'quit', label: `Quit ${ctx.appName}`, accelerator: 'Cmd+Q', click: () => actions.quit() },
    ],
  };
  return [...(mac ? [appMenu] : []), file, edit, view, windowMenu, help];
}

/** Finds a menu item by id anywhere in a template (tests, and main.ts when it refreshes a checkbox). */
export function findMenuItem(template: MenuItemConstructorOptions[], id: string): MenuItemConstructorOptions | null {
  for (const item of template) {
    if (item.id === id) return item;
    if (Array.isArray(item.submenu)) {
      const found = findMenuItem(item.submenu, id);
      if (found) return found;
    }
  }
  return null;
}
