/**
 * Text that leaves the process: a field a customer or an administrator typed ends up in an FTP
 * command, an HTTP header, an e-mail header or a log line. One line break in it and the far side
 * reads a second command (an FTP user "x\r\nMAIL FROM:…" made an SMTP server send mail), so
 * such fields refuse control characters outright rather than escaping them per protocol.
 */
import { z } from 'zod';

/**
 * C0 controls (line breaks, NUL, escape…), DEL, the C1 controls (U+0085 "next line" among them)
 * and the Unicode line and paragraph separators: everything some protocol or terminal reads as
 * the end of a line or as a command. Matching control characters is this module's whole point.
 */
/* eslint-disable no-control-regex */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;
const CONTROL_ALL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/gu;

/** The same, except the line breaks and tabs of multi-line text such as a PEM certificate. */
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029]/u;
/* eslint-enable no-control-regex */

export function hasControlCharacter(text: string): boolean {
  return CONTROL.test(text);
}

/** "The user name must not contain line breaks or other control characters." */
export function controlCharacterMessage(subject: string): string {
  return `${subject} must not contain line breaks or other control characters.`;
}

/**
 * The refinement itself, for a string schema of one's own: `.refine(...noControlCharacters(…))`.
 * It aborts the field's other checks, so the customer reads this one message rather than a
 * pattern's. `subject` names the field in the customer's words, with its article: "The user name".
 */
export function noControlCharacters(subject: string) {
  return [
    (text: string) => !CONTROL.test(text),
    { message: controlCharacterMessage(subject), abort: true },
  ] as const;
}

/** A string schema that refuses control characters before any other check runs. */
export function singleLine(subject: string) {
  return z.string().refine(...noControlCharacters(subject));
}

/** Multi-line text (PEM): line breaks and tabs pass, every other control character does not. */
export function multiLine(subject: string) {
  return z.string().refine((text) => !CONTROL_BUT_LINES.test(text), {
    message: `${subject} must not contain control characters other than line breaks.`,
    abort: true,
  });
}

/**
 * One line for a header or a summary: each run of control characters becomes one space. Input
 * is validated where it enters; this keeps a value stored before that check from splitting a
 * header anyway.
 */
export function oneLine(text: string): string {
  return text.replace(CONTROL_ALL, ' ');
}
