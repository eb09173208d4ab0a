/**
 * Argument parsing for the operator commands: node's parseArgs, with its errors turned into one
 * short line that names the option.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in the command line or a request the services refused: printed, exit code 2. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parses `args` strictly: unknown options and extra arguments are errors. */
export function parse(args: string[], options: Options, positionals: string[] = []): Parsed {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(describeParseError(error));
  }
  if (parsed.positionals.length > positionals.length) {
    throw new CliError(`unexpected argument "${parsed.positionals[positionals.length]}"`);
  }
  const missing = positionals[parsed.positionals.length];
  if (missing !== undefined) throw new CliError(`${missing} is missing`);
  return {
    values: parsed.values as Parsed['values'],
    positionals: parsed.positionals,
  };
}

function describeParseError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: string }).code;
  const option = /'(-[^' ]+)/.exec(error.message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option ?? ''}`.trim();
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return option ? `${option} needs a value` : error.message;
  }
  return error.message;
}

/** A string option's value, or undefined. */
export function text(parsed: Parsed, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function flag(parsed: Parsed, name: string): boolean {
  return parsed.values[name] === true;
}

/** A positive whole number (an id), or a CliError naming what it is. */
export function id(value: string, what: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(value))
    throw new CliError(`${what} must be a number, got "${value}"`);
  return Number(value);
}

/** "12" becomes 12; anything else stays text, so the service's validation names the field. */
export function numberOrText(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  return /^-?[0-9]{1,9}$/.test(value) ? Number(value) : value;
}
