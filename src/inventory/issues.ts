/**
 * Problems found in an inventory document, each named by its field path in the document
 * (`customers[2].webRoot`), with a message a hosting panel's admin can act on.
 */
import type { z } from 'zod';

export interface InventoryIssue {
  /** Where in the document, e.g. `customers[2].mailboxes[0].maildir`; '' for the whole document. */
  path: string;
  message: string;
}

/** The document (or one record) was refused; nothing was changed. */
export class InventoryValidationError extends Error {
  override readonly name = 'InventoryValidationError';
  readonly issues: readonly InventoryIssue[];

  constructor(issues: readonly InventoryIssue[], what = 'the inventory') {
    super(describeIssues(issues, what));
    this.issues = issues;
  }
}

/** A package cannot be deleted while customers use it. */
export class PackageInUseError extends Error {
  override readonly name = 'PackageInUseError';
  constructor(
    readonly packageId: string,
    readonly customerIds: readonly string[],
  ) {
    super(
      `package ${packageId} is used by ${customerIds.length} customer(s) (${customerIds.slice(0, 5).join(', ')}${customerIds.length > 5 ? ', …' : ''}); move them to another package first`,
    );
  }
}

export function describeIssues(issues: readonly InventoryIssue[], what: string): string {
  const head =
    issues.length === 1 ? `${what} has 1 problem:` : `${what} has ${issues.length} problems:`;
  return [
    head,
    ...issues.map((i) => `  ${i.path === '' ? '(document)' : i.path}: ${i.message}`),
  ].join('\n');
}

/** `['customers', 2, 'webRoot']` → `customers[2].webRoot`, under an optional prefix. */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** zod issues as InventoryIssues; give `plainErrors` to the parse so messages are plain words. */
export function fromZod(error: z.ZodError, prefix = ''): InventoryIssue[] {
  const seen = new Set<string>();
  const out: InventoryIssue[] = [];
  for (const issue of error.issues) {
    const path = formatPath(issue.path, prefix);
    // A field that fails several checks at once (an empty path is also not absolute) is
    // reported once, with the first and most basic complaint.
    if (seen.has(path)) continue;
    seen.add(path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({ path: formatPath([key], path), message: 'Unknown field (check the spelling).' });
      }
      continue;
    }
    out.push({ path, message: issue.message });
  }
  return out;
}

type RawIssue = Parameters<z.core.$ZodErrorMap>[0];

/**
 * An error map for `schema.safeParse(doc, { error: plainErrors })`: zod's defaults ("Invalid
 * input: expected string, received undefined") in plain words. Messages that the schema sets
 * itself take precedence.
 */
export function plainErrors(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'This field is required.';
      const expected = String(issue.expected);
      if (expected === 'int') return 'Enter a whole number.';
      return `Expected ${EXPECTED[expected] ?? expected}, got ${describeValue(issue.input)}.`;
    }
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string') {
        return min <= 1 ? 'Enter a value.' : `Enter at least ${min} characters.`;
      }
      if (issue.origin === 'array') return `Give at least ${min} item${min === 1 ? '' : 's'}.`;
      return issue.inclusive ? `Must be at least ${min}.` : `Must be more than ${min}.`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'string') return `Enter at most ${max} characters.`;
      if (issue.origin === 'array') return `Give at most ${max} items.`;
      return issue.inclusive ? `Must be at most ${max}.` : `Must be less than ${max}.`;
    }
    case 'invalid_value':
      return `Expected one of: ${issue.values.map(String).join(', ')}; got ${describeValue(issue.input)}.`;
    case 'invalid_format':
      return issue.format === 'email' ? 'Enter a valid e-mail address.' : 'The format is invalid.';
    default:
      return undefined;
  }
}

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object (a map of fields)',
};

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return value.length > 40 ? `"${value.slice(0, 40)}…"` : JSON.stringify(value);
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}
