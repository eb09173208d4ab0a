import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ResticVersion {
  major: number;
  minor: number;
  patch: number;
  text: string;
}

/** What a given restic can do; newer flags are used only where the version has them. */
export interface ResticFeatures {
  /** `restore --sparse`: all-zero chunks become holes instead of written zeros (0.15). */
  restoreSparse: boolean;
  /** `restore --json` progress lines (0.16). */
  restoreProgress: boolean;
  /** `restore --overwrite` / `--delete` (0.17). */
  restoreOverwrite: boolean;
  /** Exit codes 10 (no repository), 11 (locked), 12 (wrong password) (0.17). */
  exitCodes: boolean;
  /** `restore --dry-run` with `-vv` item by item (0.17). */
  restoreDryRun: boolean;
  /** `snapshot:subfolder` syntax for restore, ls and dump (0.17). */
  subfolderSyntax: boolean;
  /**
   * `backup --stdin-from-command`: restic runs a command and saves its output as one file, and
   * the command's exit status fails the backup (0.17).
   */
  stdinFromCommand: boolean;
  /** `rewrite --exclude --forget`: removes paths from existing snapshots (0.15). */
  rewrite: boolean;
}

export function parseVersion(output: string): ResticVersion {
  const match = /restic (\d+)\.(\d+)\.(\d+)/.exec(output);
  if (!match) throw new Error(`Unrecognised output of "restic version": ${output.slice(0, 200)}`);
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    text: match[0],
  };
}

export function atLeast(v: ResticVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

export function featuresOf(v: ResticVersion): ResticFeatures {
  return {
    restoreSparse: atLeast(v, 0, 15),
    restoreProgress: atLeast(v, 0, 16),
    restoreOverwrite: atLeast(v, 0, 17),
    exitCodes: atLeast(v, 0, 17),
    restoreDryRun: atLeast(v, 0, 17),
    subfolderSyntax: atLeast(v, 0, 17),
    stdinFromCommand: atLeast(v, 0, 17),
    rewrite: atLeast(v, 0, 15),
  };
}

export const MINIMUM: ResticVersion = { major: 0, minor: 14, patch: 0, text: 'restic 0.14.0' };

export async function detectVersion(binary: string): Promise<ResticVersion> {
  let stdout: string;
  try {
    ({ stdout } = await run(binary, ['version'], {
      timeout: 10_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    }));
  } catch (error) {
    const why =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'is not installed' : 'did not run';
    throw new Error(`restic ${why} (${binary}); install the Debian package "restic".`, {
      cause: error,
    });
  }
  const version = parseVersion(stdout);
  if (!atLeast(version, MINIMUM.major, MINIMUM.minor)) {
    throw new Error(`${version.text} is too old; hostvault needs ${MINIMUM.text} or newer.`);
  }
  return version;
}
