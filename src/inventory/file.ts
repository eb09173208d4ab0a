/**
 * Reading an inventory document from a file, YAML or JSON. What the document holds is checked by
 * InventoryService.importInventory; this only turns text into data.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';

/** The file could not be read, or is not valid YAML or JSON. */
export class InventoryFileError extends Error {
  override readonly name = 'InventoryFileError';
  constructor(
    message: string,
    readonly file: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Files above this size are refused: an inventory of 100,000 customers is a few tens of MB. */
const MAX_BYTES = 256 * 1024 * 1024;

/**
 * Reads `file` as JSON when it ends in `.json`, as YAML when it ends in `.yaml` or `.yml`, and
 * otherwise by its content (JSON when it starts with `{` or `[`, YAML if not).
 */
export async function parseInventoryFile(file: string): Promise<unknown> {
  let text: string;
  try {
    const data = await readFile(file);
    if (data.length > MAX_BYTES) {
      throw new InventoryFileError(`${file} is larger than ${MAX_BYTES / 1024 / 1024} MB`, file);
    }
    text = data.toString('utf8');
  } catch (error) {
    if (error instanceof InventoryFileError) throw error;
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no such file'
        : (error as Error).message;
    throw new InventoryFileError(`cannot read ${file}: ${reason}`, file, { cause: error });
  }
  return parseInventoryText(text, file);
}

/** Parses inventory text; `name` (a file name) picks the format and names it in errors. */
export function parseInventoryText(text: string, name: string): unknown {
  const ext = extname(name).toLowerCase();
  const json =
    ext === '.json' ||
    (ext !== '.yaml' && ext !== '.yml' && /^\s*[[{]/.test(text.replace(/^\uFEFF/, '')));
  try {
    if (json) return JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
    // uniqueKeys (the default) refuses a customer listed with two `webRoot:` lines.
    return parseYaml(text, { uniqueKeys: true, prettyErrors: true }) as unknown;
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? String(error);
    throw new InventoryFileError(
      `${name} is not valid ${json ? 'JSON' : 'YAML'}: ${message}`,
      name,
      { cause: error },
    );
  }
}
