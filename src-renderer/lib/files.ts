/**
 * Links to files on the machine running Subpixel, for browser mode: the server's tokened routes (the page's cookie
 * carries the token) serve only paths inside the allowed folders. The desktop app opens files with files.open instead.
 */
const route = (name: string, path: string) => `/files/${name}?path=${encodeURIComponent(path)}`;

/** Saves the file (Content-Disposition: attachment). */
export const downloadLink = (path: string): string => route('download', path);
/** Shows an image in a browser tab. */
export const viewLink = (path: string): string => route('view', path);
/** A page listing a folder's images. */
export const folderLink = (path: string): string => route('folder', path);
