/** How one file is upscaled and where it goes: the shape, its defaults, and the API's narrower input. */
import * as z from 'zod';
import { OUTPUT_FORMATS } from './formats.js';
import { DEFAULT_NAMING, NAMING_TOKENS, unknownTokens } from './naming.js';
import { AbsolutePath, ModelId, Scale, withDefaults } from './primitives.js';
import { DEFAULT_VIDEO_OPTIONS, VideoOptions } from './video.js';

export const FormatChoice = z.enum(['keep', ...OUTPUT_FORMATS]);
export type FormatChoice = z.infer<typeof FormatChoice>;
export const OverwritePolicy = z.enum(['skip', 'rename', 'overwrite']);
export type OverwritePolicy = z.infer<typeof OverwritePolicy>;

export const namingPatternSchema = z.string().min(1).max(500)
  .refine((p) => !/[\\/]/.test(p), 'the naming pattern is a file name: no / or \\')
  .refine((p) => !p.trim().startsWith('.'), 'the naming pattern cannot start with a dot (the outputs would be hidden files, or `..`)')
  .refine((p) => unknownTokens(p).length === 0,
    `unknown token in naming pattern (known: ${NAMING_TOKENS.map((t) => `{${t}}`).join(' ')})`);

/** Everything that decides how one file is upscaled and where it goes; queue items carry a frozen copy. */
export const JobSettings = z.object({
  /** Model id (or, from the CLI and stored data, a model folder); null = Automatic: per image, the robust or the clean model of `scale` (the result says which and why). */
  model: z.string().min(1).nullable(),
  scale: Scale,
  format: FormatChoice,
  quality: z.number().int().min(1).max(100),
  /** null = next to the source file. */
  outputDir: z.string().min(1).nullable(),
  /** File name pattern with the tokens {name} {scale} {model} {ext} {date}. */
  naming: namingPatternSchema,
  overwrite: OverwritePolicy,
  keepMetadata: z.boolean(),
  /** How videos are encoded (absent: DEFAULT_VIDEO_OPTIONS); stills ignore it. */
  video: VideoOptions.optional(),
});
export type JobSettings = z.infer<typeof JobSettings>;

export const DEFAULT_JOB_SETTINGS: JobSettings = {
  model: null,
  scale: 4,
  format: 'keep',
  quality: 90,
  outputDir: null,
  naming: DEFAULT_NAMING,
  overwrite: 'rename',
  keepMetadata: true,
  video: DEFAULT_VIDEO_OPTIONS,
};

/** JobSettings with every field defaulted: what stored data and internal callers parse with. */
export const jobSettingsSchema = withDefaults(JobSettings, DEFAULT_JOB_SETTINGS);
export type JobSettingsInput = z.input<typeof jobSettingsSchema>;

/** What the API accepts from a client: models by id only, output folders absolute. */
export const ApiJobSettings = JobSettings.extend({ model: ModelId.nullable(), outputDir: AbsolutePath.nullable() });
export const JobSettingsPatch = ApiJobSettings.partial().strict();
export type JobSettingsPatch = z.infer<typeof JobSettingsPatch>;
