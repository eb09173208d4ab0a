/**
 * Stored JSON columns, decoded and checked once where they are read: a damaged value (a hand
 * edit, a failed migration, a writer's bug) stops at the row with an error that names it, instead
 * of travelling on as a wrongly typed value and failing somewhere far from its cause.
 */
import type { z } from 'zod';

/** A stored JSON value that is not valid JSON or not of the shape its column holds. */
export class StoredValueError extends Error {
  constructor(
    /** The row, in words: "snapshot 1a2b3c4d of repository 2", "job 17". */
    readonly row: string,
    readonly column: string,
    readonly problem: string,
    /** The schema's own words for what is wrong, without where: for a message to its user. */
    readonly reason: string = problem,
  ) {
    super(`The stored ${column} of ${row} is damaged (${problem}).`);
    this.name = 'StoredValueError';
  }
}

/** Decodes one column's text with its schema; StoredValueError naming the row when it fails. */
export function decodeStored<S extends z.ZodType>(
  schema: S,
  text: string,
  where: { row: string; column: string },
): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new StoredValueError(where.row, where.column, 'not valid JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    const reason = issue?.message ?? 'wrong shape';
    throw new StoredValueError(where.row, where.column, `${reason}${at}`, reason);
  }
  return parsed.data;
}
