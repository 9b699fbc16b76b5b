#!/usr/bin/env node
// Renders icon.svg to the PNGs the app and electron-builder use: icon.png (1024, the source electron-builder turns
// into .icns and .ico) and png/NxN.png (the Linux icon set; the window and tray icons at run time).
// Run after editing icon.svg: node resources/icons/generate.mjs
import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const here = fileURLToPath(new URL('.', import.meta.url));
const svg = await readFile(`${here}icon.svg`);
await mkdir(`${here}png`, { recursive: true });
await sharp(svg, { density: 72 }).resize(1024, 1024).png({ compressionLevel: 9 }).toFile(`${here}icon.png`);
for (const size of [16, 32, 48, 64, 128, 256, 512]) {
  // Density scaled so the vector is rasterised at the target size rather than downsampled from 1024.
  await sharp(svg, { density: (72 * size) / 1024 * 4 }).resize(size, size).png({ compressionLevel: 9 }).toFile(`${here}png/${size}x${size}.png`);
}
console.log(`icons written to ${here}`);
