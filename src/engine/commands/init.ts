import type { Runner } from '../runner.js';
import type { OperationOptions, RepositoryLocation } from '../types.js';

/** Creates a repository: format 2, so restic compresses (compression "auto" is its default). */
export async function init(
  runner: Runner,
  repo: RepositoryLocation,
  opts: OperationOptions = {},
): Promise<void> {
  await runner.exec(repo, ['init', '--repository-version', '2'], { ...opts, locks: false });
}

export interface RepositoryConfig {
  id: string;
  version: number;
}

/**
 * Reads the repository's config: the cheapest call that proves the repository exists and the
 * password opens it. Throws EngineError 'no-repository' or 'wrong-password' otherwise.
 */
export async function catConfig(
  runner: Runner,
  repo: RepositoryLocation,
  opts: OperationOptions = {},
): Promise<RepositoryConfig> {
  // restic prints the config as indented, multi-line JSON.
  const lines: string[] = [];
  await runner.exec(repo, ['cat', 'config', '--no-lock'], {
    ...opts,
    locks: false,
    onStdout: (l) => lines.push(l),
  });
  let config: RepositoryConfig | undefined;
  try {
    const o = JSON.parse(lines.join('\n')) as { id?: unknown; version?: unknown };
    if (typeof o.id === 'string' && typeof o.version === 'number')
      config = { id: o.id, version: o.version };
  } catch {
    // fall through to the error below
  }
  if (!config) throw new Error('restic printed no repository config');
  return config;
}
