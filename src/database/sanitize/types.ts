/** What the dump sanitizer is given and what it answers: its context, statements, refusals, counts. */
export interface SanitizeContext {
  /** The database the dump is restored into. */
  target: string;
  /**
   * Another name of the target: the live database a restore stages for. Names qualified with it
   * (`live`.`t`) are rewritten to the target, so nothing the dump creates or runs reaches the
   * live database while it is imported beside it.
   */
  alias?: string;
  /**
   * Create events disabled, and record the status each was given in `eventStatus`: events must
   * not run in a staging database (they would change what the checksums compare).
   */
  disableEvents?: boolean;
  /** Count the rows that plain INSERTs put into these tables (`rows`; `uncounted` if unsure). */
  countRowsOf?: string[];
  /** `` `user`@`host` `` that every DEFINER clause is rewritten to. */
  definer: string;
  /** The customer's databases (including the target). */
  allowedDatabases: string[];
  /** Every database on the server, to recognize names of other schemas. */
  knownSchemas: string[];
}

export interface RawStatement {
  text: string;
  /** 1-based line of the statement's first character of code in the dump. */
  line: number;
}

export class DumpRejectedError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'DumpRejectedError';
  }
}

export interface SanitizeStats {
  statements: number;
  definersRewritten: number;
  stripped: number;
  /** Rows inserted per table named in `countRowsOf`. */
  rows: Record<string, number>;
  /** Tables of `countRowsOf` that statements other than plain INSERTs changed. */
  uncounted: string[];
}
