/**
 * TF.js for the whole project: every module imports it from here, so this setting applies before any tensor exists.
 * TF.js advertises tfjs-node on its first CPU tensor; we choose backends ourselves (runtime.ts, training/backend.ts)
 * and often compute on onnxruntime, so that advice only confuses. PROD mode also silences TF.js's other console
 * notes; our own code reports what runs where (`subpixel info`).
 */
import * as tfjs from '@tensorflow/tfjs';

tfjs.env().set('PROD', true);

export * as tf from '@tensorflow/tfjs';
