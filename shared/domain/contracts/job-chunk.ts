import * as z from 'zod';
import { defineContract } from './contract.ts';

/**
 * One chunk of a whole-base job: part `part` of the job's parallel scan, from `cursor` (absent at
 * the start). The jobs function runs it, records the part's new cursor (only if the part is still
 * at `cursor`: a repeated request changes nothing twice) and requests the next chunk.
 */
export const JobChunkRequested = defineContract({
  source: 'lifecycle.jobs',
  detailType: 'Job Chunk Requested',
  version: 1,
  schema: z.object({
    version: z.literal(1),
    jobId: z.string().min(1),
    part: z.number().int().min(0),
    cursor: z.string().optional(),
  }),
});
