import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Id of the small random-weights x2 model each test installs among the user's models. */
export const TEST_MODEL = 'e2e-x2';
/**
 * Where global setup saves it once per run (a models folder with the model inside): one per checkout, so suites of
 * two checkouts running at once never rewrite each other's copy mid-run.
 */
export const MODEL_TEMPLATE = join(tmpdir(),
  `subpixel-e2e-models-${process.env.USER ?? 'user'}-${createHash('sha256').update(process.cwd()).digest('hex').slice(0, 10)}`);
