/** Image formats and file-name rules are defined once in src-common/formats.ts (the renderer uses them too). */
export * from '../../../src-common/formats.js';
