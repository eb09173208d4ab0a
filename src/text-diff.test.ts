import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { diffText, type DiffHunk } from './text-diff.js';

/** The hunks as `diff -u` prints them, without its two file header lines. */
function unified(hunks: DiffHunk[]): string {
  const sign = { same: ' ', added: '+', removed: '-' } as const;
  return hunks
    .map((h) => {
      const oldCount = h.lines.filter((l) => l.op !== 'added').length;
      const newCount = h.lines.filter((l) => l.op !== 'removed').length;
      const range = (start: number, count: number) =>
        count === 1 ? `${start}` : `${count === 0 ? start - 1 : start},${count}`;
      return [
        `@@ -${range(h.oldStart, oldCount)} +${range(h.newStart, newCount)} @@`,
        ...h.lines.map((l) => sign[l.op] + l.text),
      ].join('\n');
    })
    .join('\n');
}

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

test('same texts, a changed line, lines added at the ends, a missing final newline', () => {
  assert.deepEqual(diffText('a\nb\n', 'a\nb\n'), { kind: 'same' });
  const changed = diffText('a\nb\nc\n', 'a\nB\nc\n');
  assert.equal(changed.kind, 'changed');
  assert.ok(changed.kind === 'changed');
  assert.equal(changed.added, 1);
  assert.equal(changed.removed, 1);
  assert.equal(unified(changed.hunks), '@@ -1,3 +1,3 @@\n a\n-b\n+B\n c');
  const grown = diffText('', 'x\n');
  assert.ok(grown.kind === 'changed');
  assert.equal(unified(grown.hunks), '@@ -0,0 +1 @@\n+x');
});

test('agrees with diff -u on random edits of a longer text (hunks, context, line numbers)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hv-diff-'));
  try {
    for (let seed = 1; seed <= 40; seed++) {
      const next = random(seed);
      const older = Array.from({ length: 5 + Math.floor(next() * 80) }, () =>
        String(Math.floor(next() * 12)),
      );
      const newer = [...older];
      const edits = 1 + Math.floor(next() * 8);
      for (let i = 0; i < edits; i++) {
        const at = Math.floor(next() * (newer.length + 1));
        const what = next();
        if (what < 0.4) newer.splice(at, 0, `new ${i}`);
        else if (what < 0.8) newer.splice(at, 1);
        else newer[at] = `changed ${i}`;
      }
      const a = older.join('\n') + '\n';
      const b = newer.join('\n') + '\n';
      writeFileSync(join(dir, 'a'), a);
      writeFileSync(join(dir, 'b'), b);
      let expected = '';
      try {
        execFileSync('diff', ['-u', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8' });
      } catch (error) {
        expected = String((error as { stdout: string }).stdout);
      }
      const result = diffText(a, b);
      if (!expected) {
        assert.equal(result.kind, 'same', `seed ${seed}`);
        continue;
      }
      assert.ok(result.kind === 'changed', `seed ${seed}`);
      const changes = (s: string) =>
        s.split('\n').filter((l) => /^[+-]/.test(l) && !/^(\+\+\+|---) /.test(l)).length;
      // A shortest script: as many changed lines as GNU diff's (which may order them otherwise).
      assert.equal(result.added + result.removed, changes(expected), `seed ${seed}`);
      // Applying the hunks' sides gives back each version's lines.
      const side = (keep: 'added' | 'removed') =>
        result.hunks.flatMap((h) => h.lines.filter((l) => l.op !== keep).map((l) => l.text));
      for (const h of result.hunks) {
        const olds = h.lines.filter((l) => l.op !== 'added').map((l) => l.text);
        assert.deepEqual(olds, older.slice(h.oldStart - 1, h.oldStart - 1 + olds.length));
        const news = h.lines.filter((l) => l.op !== 'removed').map((l) => l.text);
        assert.deepEqual(news, newer.slice(h.newStart - 1, h.newStart - 1 + news.length));
      }
      assert.ok(side('added').length <= older.length);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nearby changes share a hunk, far ones get their own, with three lines of context', () => {
  const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
  const newer = [...lines];
  newer[4] = 'five';
  newer[7] = 'eight';
  newer[25] = 'twenty-six';
  const result = diffText(lines.join('\n'), newer.join('\n'));
  assert.ok(result.kind === 'changed');
  assert.deepEqual(
    result.hunks.map((h) => [h.oldStart, h.lines.length]),
    [
      [2, 12],
      [23, 8],
    ],
  );
});

test('texts too different to show line by line are said to be so', () => {
  const a = Array.from({ length: 500 }, (_, i) => `a${i}`).join('\n');
  const b = Array.from({ length: 500 }, (_, i) => `b${i}`).join('\n');
  assert.deepEqual(diffText(a, b, { maxEdits: 100 }), {
    kind: 'too-different',
    oldLines: 500,
    newLines: 500,
  });
});
