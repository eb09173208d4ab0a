import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineSplitter, parseJsonLine, stripTerminalCodes } from './lines.js';

test('splits chunks into lines across chunk boundaries', () => {
  const lines: string[] = [];
  const splitter = new LineSplitter((l) => lines.push(l));
  splitter.push('{"a":1}\n{"b"');
  splitter.push(':2}\nplain text\n');
  splitter.push('tail without newline');
  splitter.end();
  assert.deepEqual(lines, ['{"a":1}', '{"b":2}', 'plain text', 'tail without newline']);
});

test('keeps what a terminal would show last of a redrawn status line', () => {
  assert.equal(
    stripTerminalCodes('\x1b[2Ksignal interrupt received, cleaning up'),
    'signal interrupt received, cleaning up',
  );
  assert.equal(stripTerminalCodes('[0:01] 10%\r[0:02] 20%\r[0:03] 30%  '), '[0:03] 30%');
});

test('parses JSON objects and arrays and tolerates anything else', () => {
  assert.deepEqual(parseJsonLine('{"message_type":"status"}'), { message_type: 'status' });
  assert.deepEqual(parseJsonLine('[1,2]'), [1, 2]);
  assert.equal(parseJsonLine('created restic repository 1652387cdd at repo'), undefined);
  assert.equal(parseJsonLine('{not json'), undefined);
});
