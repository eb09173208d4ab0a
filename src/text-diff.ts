/**
 * Line differences between two versions of a text file, for the file history's "compare": the
 * shortest edit script (Myers' O(ND) algorithm), shown as hunks with three lines of context as
 * `diff -u` shows them. Bounded: past `maxEdits` changed lines the two versions are reported as
 * too different to show line by line, since the work and memory grow with the square of it.
 */

export type DiffOp = 'same' | 'added' | 'removed';

export interface DiffLine {
  op: DiffOp;
  text: string;
}

export interface DiffHunk {
  /** First line of the hunk in the older version and in the newer one, counted from 1. */
  oldStart: number;
  newStart: number;
  lines: DiffLine[];
}

export type TextDiff =
  | { kind: 'same' }
  | { kind: 'changed'; hunks: DiffHunk[]; added: number; removed: number }
  | { kind: 'too-different'; oldLines: number; newLines: number };

const CONTEXT = 3;

export function diffText(older: string, newer: string, opts: { maxEdits?: number } = {}): TextDiff {
  if (older === newer) return { kind: 'same' };
  const a = splitLines(older);
  const b = splitLines(newer);
  const script = shortestEdit(a, b, opts.maxEdits ?? 2000);
  if (!script) return { kind: 'too-different', oldLines: a.length, newLines: b.length };
  let added = 0;
  let removed = 0;
  for (const line of script) {
    if (line.op === 'added') added++;
    else if (line.op === 'removed') removed++;
  }
  return { kind: 'changed', hunks: hunksOf(script), added, removed };
}

/** Lines without their ends; a last line without a newline is a line too. */
function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Myers' greedy search for the furthest-reaching path per diagonal, keeping each round's
 * diagonals (only the 2d+1 that round can reach) to walk the path back afterwards.
 */
function shortestEdit(a: string[], b: string[], maxEdits: number): DiffLine[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= Math.min(max, maxEdits) && found < 0; d++) {
    trace.push(v.slice(offset - d, offset + d + 1));
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)
          ? v[offset + k + 1]!
          : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return undefined;

  const out: DiffLine[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const before = trace[d]!;
    const at = (k: number): number => before[k + d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      out.push({ op: 'same', text: a[--x]! });
      y--;
    }
    if (x === prevX) out.push({ op: 'added', text: b[--y]! });
    else out.push({ op: 'removed', text: a[--x]! });
  }
  while (x > 0 && y > 0) {
    out.push({ op: 'same', text: a[--x]! });
    y--;
  }
  return out.reverse();
}

/** The changed lines with up to three unchanged ones around them; nearby changes share a hunk. */
function hunksOf(script: DiffLine[]): DiffHunk[] {
  const hunks: DiffHunk[] = [];
  let oldLine = 1;
  let newLine = 1;
  let current: DiffHunk | undefined;
  /** Unchanged lines since the last change, not yet placed. */
  let pending: { line: DiffLine; old: number; new: number }[] = [];
  for (const line of script) {
    if (line.op === 'same') {
      pending.push({ line, old: oldLine, new: newLine });
      if (!current && pending.length > CONTEXT) pending.shift();
      if (current && pending.length > 2 * CONTEXT) {
        current.lines.push(...pending.slice(0, CONTEXT).map((p) => p.line));
        hunks.push(current);
        current = undefined;
        pending = pending.slice(-CONTEXT);
      }
      oldLine++;
      newLine++;
      continue;
    }
    if (!current) {
      const lead = pending.slice(-CONTEXT);
      current = {
        oldStart: lead[0]?.old ?? oldLine,
        newStart: lead[0]?.new ?? newLine,
        lines: lead.map((p) => p.line),
      };
    } else current.lines.push(...pending.map((p) => p.line));
    pending = [];
    current.lines.push(line);
    if (line.op === 'removed') oldLine++;
    else newLine++;
  }
  if (current) {
    current.lines.push(...pending.slice(0, CONTEXT).map((p) => p.line));
    hunks.push(current);
  }
  return hunks;
}
