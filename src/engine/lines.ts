/**
 * Splits a byte stream into lines without holding more than one partial line in memory, so a
 * `restic ls` of a million entries streams through at constant cost.
 */
export class LineSplitter {
  private rest = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    const text = this.rest + chunk;
    let start = 0;
    // The held remainder has no newline: search only the new part, or one long line (the
    // snapshots array) would be rescanned with every chunk.
    let nl = text.indexOf('\n', this.rest.length);
    while (nl !== -1) {
      this.emit(text.slice(start, nl));
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    this.rest = text.slice(start);
  }

  end(): void {
    if (this.rest.length > 0) this.emit(this.rest);
    this.rest = '';
  }

  private emit(raw: string): void {
    // restic redraws its terminal status with carriage returns and ANSI "erase line" codes even
    // when stderr is a pipe; keep only the text a person would have seen last.
    const line = stripTerminalCodes(raw);
    if (line.length > 0) this.onLine(line);
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

export function stripTerminalCodes(raw: string): string {
  const noAnsi = raw.replace(ANSI, '');
  const cr = noAnsi.lastIndexOf('\r');
  return (cr === -1 ? noAnsi : noAnsi.slice(cr + 1)).trimEnd();
}

/** Parses a line as a JSON object if it is one; restic mixes JSON and plain text on stdout. */
export function parseJsonLine(line: string): unknown {
  const first = line.trimStart()[0];
  if (first !== '{' && first !== '[') return undefined;
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return undefined;
  }
}
