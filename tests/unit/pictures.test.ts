import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultOutputFolder, picturesFolder, xdgUserDir } from '../../src-main/common/pictures.js';

const noFile = () => null;

test('Pictures on Linux: XDG_PICTURES_DIR, else user-dirs.dirs, else ~/Pictures', () => {
  const env = { HOME: '/home/ana' };
  assert.equal(picturesFolder('linux', { ...env, XDG_PICTURES_DIR: '/data/Bilder' }, noFile), '/data/Bilder');
  const dirs = '# written by xdg-user-dirs-update\nXDG_DESKTOP_DIR="$HOME/Desktop"\nXDG_PICTURES_DIR="$HOME/Bilder"\n';
  assert.equal(picturesFolder('linux', env, (path) => (path === '/home/ana/.config/user-dirs.dirs' ? dirs : null)), '/home/ana/Bilder');
  assert.equal(picturesFolder('linux', { ...env, XDG_CONFIG_HOME: '/cfg' }, (path) => (path === '/cfg/user-dirs.dirs' ? dirs : null)), '/home/ana/Bilder');
  assert.equal(picturesFolder('linux', env, noFile), '/home/ana/Pictures');
  // A relative variable is not a folder: ignored.
  assert.equal(picturesFolder('linux', { ...env, XDG_PICTURES_DIR: 'Pictures' }, noFile), '/home/ana/Pictures');
});

test('user-dirs.dirs: $HOME expanded, an entry set to $HOME itself means "off"', () => {
  assert.equal(xdgUserDir('XDG_PICTURES_DIR="$HOME/My Pictures/"', 'XDG_PICTURES_DIR', '/home/b'), '/home/b/My Pictures');
  assert.equal(xdgUserDir('XDG_PICTURES_DIR="$HOME/"', 'XDG_PICTURES_DIR', '/home/b'), null);
  assert.equal(xdgUserDir('XDG_PICTURES_DIR="/srv/pics"', 'XDG_PICTURES_DIR', '/home/b'), '/srv/pics');
  assert.equal(xdgUserDir('XDG_MUSIC_DIR="$HOME/Music"', 'XDG_PICTURES_DIR', '/home/b'), null);
});

test('macOS and Windows: Pictures in the home folder; outputs go to its Subpixel folder', () => {
  assert.equal(picturesFolder('darwin', { HOME: '/Users/ana', XDG_PICTURES_DIR: '/ignored' }, noFile), '/Users/ana/Pictures');
  assert.equal(picturesFolder('win32', { USERPROFILE: 'C:\\Users\\ana' }, noFile), join('C:\\Users\\ana', 'Pictures'));
  assert.equal(defaultOutputFolder('linux', { HOME: '/home/ana', XDG_PICTURES_DIR: '/p' }), join('/p', 'Subpixel'));
});
