// Saves the e2e test model (classic ESPCN x2, tiny and random: fast enough that the suite measures the app, not the net).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { saveModel } from '../../src-main/engine/models/store.js';
import { classicEspcn, randomWeights } from '../../src-main/engine/models/spec.js';
import { TEST_MODEL } from './paths.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: make-model.ts <models folder>');
await rm(dir, { recursive: true, force: true });
await saveModel(join(dir, TEST_MODEL), randomWeights({ ...classicEspcn(2), widths: [8, 8] }, 11), { id: TEST_MODEL });
