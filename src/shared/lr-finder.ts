// The learning-rate finder's request options and answer (runs.findLearningRate); the engine is
// src/main/engine/lr-finder.ts.
import { z } from 'zod'

/** Absent: 1e-7, 10 and 200 (the engine's defaults). */
export const lrFinderOptionsSchema = z.object({
  start: z.number().positive().max(1).optional(),
  end: z.number().positive().max(1000).optional(),
  steps: z.number().int().min(20).max(1000).optional()
})

export const lrFinderResultSchema = z.object({
  points: z.array(z.object({ step: z.number(), lr: z.number(), loss: z.number(), smoothed: z.number() })),
  /** null when fewer than 5 finite points were recorded. */
  suggestion: z
    .object({
      lr: z.number(),
      /** min_over_10: the rate at the smoothed loss's minimum, divided by 10. */
      rule: z.literal('min_over_10'),
      min_lr: z.number(),
      min_loss: z.number(),
      steepest_lr: z.number().nullable()
    })
    .nullable(),
  stopped: z.enum(['diverged', 'completed']),
  start: z.number(),
  end: z.number(),
  steps: z.number()
})
export type LrFinderAnswer = z.infer<typeof lrFinderResultSchema>
