/** Why a browse or download request was refused, in words a customer can act on. */
export type BrowseErrorKind =
  | 'invalid-path'
  | 'invalid-snapshot-id'
  | 'invalid-page'
  | 'invalid-query'
  | 'outside-roots'
  | 'not-found'
  | 'not-a-directory'
  | 'not-a-file'
  /** A symbolic link, named pipe, socket or device file: nothing to download as it is. */
  | 'no-content'
  | 'not-open';

export class BrowseError extends Error {
  readonly kind: BrowseErrorKind;

  constructor(kind: BrowseErrorKind, message: string) {
    super(message);
    this.name = 'BrowseError';
    this.kind = kind;
  }
}
