/**
 * Zod issues turned into fields and messages in plain words: `{ field: 'limit', message: 'Limit
 * must be at most 200' }` rather than "Invalid input: expected number". A message set on the
 * schema itself (`z.string().min(1, 'Name is required')`) wins over the generated one.
 */
import { z } from 'zod';
import { fieldErrorOf, ValidationError, type FieldError } from '../errors/index.js';

export type InputPart = 'params' | 'query' | 'body';

/** Parses one part of a request; throws a ValidationError that names every bad field. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  data: unknown,
  part: InputPart,
): z.output<S> {
  // reportInput: a field error's code tells a missing value (required) from a wrong one.
  const result = schema.safeParse(data, { error: plainMessage, reportInput: true });
  if (result.success) return result.data;
  throw validationError(result.error.issues, part);
}

export function validationError(
  issues: readonly z.core.$ZodIssue[],
  part: InputPart,
): ValidationError {
  const fields: FieldError[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        fields.push(
          fieldErrorOf(
            issue,
            fieldName(path, part),
            labelOf(path),
            `${labelOf([key])} is not a known field`,
          ),
        );
      }
    } else {
      fields.push(fieldErrorOf(issue, fieldName(issue.path, part), labelOf(issue.path)));
    }
  }
  return new ValidationError(fields);
}

function fieldName(path: readonly PropertyKey[], part: InputPart): string {
  // An issue about the whole body (say, an array where an object belongs) names the body itself.
  return path.length === 0 ? part : path.map(String).join('.');
}

/** The error map: zod calls it for issues whose schema set no message of its own. */
function plainMessage(issue: z.core.$ZodRawIssue): string {
  const label = labelOf(issue.path ?? []);
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return `${label} is required`;
      if (issue.path === undefined || issue.path.length === 0) {
        return `The request ${label.toLowerCase()} must be a JSON object`;
      }
      const expected = String(issue.expected);
      if (expected === 'int') return `${label} must be a whole number`;
      return `${label} must be ${article(expected)}`;
    }
    case 'too_small':
      if (issue.origin === 'string') {
        return Number(issue.minimum) <= 1
          ? `${label} is required`
          : `${label} must be at least ${String(issue.minimum)} characters`;
      }
      if (issue.origin === 'array' || issue.origin === 'set') {
        return `${label} needs at least ${String(issue.minimum)} entries`;
      }
      return issue.inclusive === false
        ? `${label} must be more than ${String(issue.minimum)}`
        : `${label} must be at least ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'string') {
        return `${label} must be at most ${String(issue.maximum)} characters`;
      }
      if (issue.origin === 'array' || issue.origin === 'set') {
        return `${label} takes at most ${String(issue.maximum)} entries`;
      }
      return issue.inclusive === false
        ? `${label} must be less than ${String(issue.maximum)}`
        : `${label} must be at most ${String(issue.maximum)}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `${label} must be ${JSON.stringify(issue.values[0])}`
        : `${label} must be one of: ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_format':
      return `${label} is not a valid ${formatName(issue.format)}`;
    case 'not_multiple_of':
      return `${label} must be a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys':
      return `Unknown fields: ${issue.keys.join(', ')}`;
    default:
      return `${label} is not valid`;
  }
}

/** `scheduleId` → "Schedule ID", `tags.2` → "Tags item 3". */
function labelOf(path: readonly PropertyKey[]): string {
  const last = path.at(-1);
  if (last === undefined) return 'Body';
  if (typeof last === 'number') return `${labelOf(path.slice(0, -1))} item ${last + 1}`;
  const words = String(last)
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase()
    .split(' ')
    .map((word) => (word === 'id' ? 'ID' : word === 'url' ? 'URL' : word));
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function article(type: string): string {
  const plain: Record<string, string> = {
    string: 'text',
    number: 'a number',
    boolean: 'true or false',
    object: 'an object',
    array: 'a list',
  };
  return plain[type] ?? `a ${type}`;
}

function formatName(format: string): string {
  const plain: Record<string, string> = {
    datetime: 'date and time (ISO 8601)',
    email: 'e-mail address',
    url: 'URL',
    regex: 'value',
  };
  return plain[format] ?? format;
}
