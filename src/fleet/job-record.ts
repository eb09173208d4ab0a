// The agent's durable record of the jobs it took: JetStream delivers a job at least once (again
// after an agent died holding it, or when a controller publishes it twice), and this record makes
// it run at most once. An id is written as running, synced to disk, before the job starts; its
// outcome is written before it is published, so a job delivered again gets the same outcome sent
// again instead of a second run. One small JSON file in the agent's data directory, replaced
// atomically (temporary file, fsync, rename), holding no secrets: requests are not kept.
import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { agentFailureSchema } from '../agent/protocol.js';
import { dispatchIdSchema, type JobKind, type JobOutcome } from './messages.js';

const entrySchema = z.strictObject({
  id: dispatchIdSchema,
  kind: z.string(),
  /** The store's job, when the request names one (backup, restore, maintain). */
  jobId: z.number().int().positive().optional(),
  state: z.enum(['running', 'done']),
  at: z.string(),
  outcome: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('answer'), answer: z.unknown() }),
      z.strictObject({ type: z.literal('failure'), failure: agentFailureSchema }),
    ])
    .optional(),
});
export type JobRecordEntry = z.infer<typeof entrySchema>;
const fileSchema = z.strictObject({ version: z.literal(1), jobs: z.array(entrySchema) });

/** Ids kept: far more than one agent takes while a job can still be delivered again. */
const KEEP = 5000;

export class JobRecord {
  private readonly jobs = new Map<string, JobRecordEntry>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly now: () => Date,
  ) {}

  /** Reads the record; a missing file is an empty record, a damaged one an error naming it. */
  static async open(file: string, now: () => Date = () => new Date()): Promise<JobRecord> {
    const record = new JobRecord(file, now);
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (text !== undefined) {
      let parsed;
      try {
        parsed = fileSchema.parse(JSON.parse(text));
      } catch (error) {
        throw new Error(
          `The agent's job record ${file} is damaged (${(error as Error).message.split('\n')[0]}); ` +
            'move it aside to start with an empty one (jobs delivered again would then run again).',
        );
      }
      for (const entry of parsed.jobs) record.jobs.set(entry.id, entry);
    }
    return record;
  }

  get(id: string): JobRecordEntry | undefined {
    return this.jobs.get(id);
  }

  /** Jobs recorded as running: after a start, those a previous run of the agent died in. */
  running(): JobRecordEntry[] {
    return [...this.jobs.values()].filter((e) => e.state === 'running');
  }

  /** Records the job as running; resolves once that is on disk. */
  begin(id: string, kind: JobKind, jobId: number | undefined): Promise<void> {
    this.jobs.set(id, {
      id,
      kind,
      ...(jobId !== undefined ? { jobId } : {}),
      state: 'running',
      at: this.now().toISOString(),
    });
    return this.save();
  }

  /** Records the job's outcome (an id never seen before too, e.g. canceled before it came). */
  finish(id: string, kind: string, outcome: JobOutcome, jobId?: number): Promise<void> {
    const before = this.jobs.get(id);
    this.jobs.delete(id);
    this.jobs.set(id, {
      id,
      kind: before?.kind ?? kind,
      ...((before?.jobId ?? jobId) !== undefined ? { jobId: before?.jobId ?? jobId } : {}),
      state: 'done',
      at: this.now().toISOString(),
      outcome,
    });
    return this.save();
  }

  private save(): Promise<void> {
    // Oldest finished ones go first; a running one is never dropped.
    for (const [id, entry] of this.jobs) {
      if (this.jobs.size <= KEEP) break;
      if (entry.state === 'done') this.jobs.delete(id);
    }
    const text = JSON.stringify({ version: 1, jobs: [...this.jobs.values()] });
    const write = this.writing.then(() => writeDurably(this.file, text));
    // One write after another; a failed write is the caller's error, not the next one's.
    this.writing = write.catch(() => undefined);
    return write;
  }
}

async function writeDurably(file: string, text: string): Promise<void> {
  const temporary = `${file}.tmp`;
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  const dir = await open(dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
