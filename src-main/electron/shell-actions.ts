import { shell } from 'electron';

/** Open with the default app and Show in folder, for the API's files.open / files.reveal (AppServices.shell). */
export function desktopShell(): { open(path: string): Promise<void>; reveal(path: string): void } {
  return {
    async open(path) {
      // openPath answers with an error message, '' on success.
      const problem = await shell.openPath(path);
      if (problem) throw new Error(`${path} could not be opened: ${problem}`);
    },
    reveal(path) {
      shell.showItemInFolder(path);
    },
  };
}
