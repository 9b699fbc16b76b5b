/** Small value shapes every other contract module builds on. */
import * as z from 'zod';

/** An absolute path on the machine running the services (POSIX `/…`, Windows `C:\…` or `\\server\…`). */
export const AbsolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(p), { message: 'must be an absolute path' })
  .refine((p) => !p.includes('\0'), { message: 'must not contain NUL' });

export const Id = z.string().min(1).max(200);
/** A model id: a plain name, never a path (models are chosen from the list, not loaded from arbitrary folders). */
export const ModelId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'a model id (letters, digits, . _ -), not a path');
export const Timestamp = z.number().int().nonnegative(); // ms since epoch

export const SCALES = [2, 3, 4] as const;
export const Scale = z.union([z.literal(2), z.literal(3), z.literal(4)]);
export type Scale = z.infer<typeof Scale>;

/**
 * The same object schema with every field defaulted from `defaults`: the shape is declared once without defaults
 * (what the API validates, and `.partial()` of it is a patch) and stored data gets its defaults from here.
 */
export function withDefaults<S extends z.ZodRawShape>(
  schema: z.ZodObject<S>,
  defaults: z.output<z.ZodObject<S>>,
): z.ZodObject<{ [K in keyof S]: z.ZodDefault<S[K]> }> {
  const shape = Object.fromEntries(
    Object.entries(schema.shape).map(([key, field]) => [key, (field as z.ZodType).default((defaults as Record<string, unknown>)[key])]),
  );
  return z.object(shape) as unknown as z.ZodObject<{ [K in keyof S]: z.ZodDefault<S[K]> }>;
}
