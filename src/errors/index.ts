/**
 * The errors every part of the service may raise about the objects it is asked for.
 */

/**
 * The object asked for does not exist or is not the asker's: the two read alike on purpose, so a
 * customer probing ids cannot tell another customer's object from a missing one. The message is
 * for the log and the CLI; the API answers its one 404 for every case.
 */
export class NotFoundError extends Error {
  constructor(what = 'Not found') {
    super(what);
    this.name = 'NotFoundError';
  }
}
