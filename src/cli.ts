#!/usr/bin/env node
/**
 * hostvault's command line: the service itself (`serve`) and the operator's tools over the same
 * services.
 */
import { loadConfig } from './config.js';
import { runDemo, runLayoutDemo } from './demo/engine-demo.js';
import { runInventoryCommand } from './cli/inventory.js';
import { OPERATOR_USAGE, runOperatorCommand } from './cli/index.js';
import { openApp } from './app.js';
import { startService } from './serve.js';
import { targetSchema } from './target/schema.js';
import { ownerSchema } from './target/schema.js';

const USAGE = `usage: hostvault <command>

commands:
  serve [--demo]              run the service: API, scheduler and worker (HOSTVAULT_PORT, default
                              8420); --demo first imports the demo hosting layout with sign-ins
  demo [--dir DIR]            build a demo hosting layout (three customers), import it, back up
                              their web roots and restore a file with real restic
  demo layout [--dir DIR]     only build the demo layout and import it into the inventory
  customers list              list the customers in the inventory
  customers import <file> [--prune]
                              import packages and customers from a YAML or JSON file, all or
                              nothing; --prune deletes those the file does not list
  packages list               list the backup packages
${OPERATOR_USAGE}  key export <owner> [--target-dir DIR]
                              print the key file of <owner>'s repository on the local target
  version                     print the versions of hostvault and restic
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const config = loadConfig();
  switch (command) {
    case 'serve': {
      const service = await startService(config, { demo: rest.includes('--demo') });
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await service.stop();
      return 0;
    }
    case 'demo':
      if (rest[0] === 'layout') await runLayoutDemo(config, { dir: option(rest, '--dir') });
      else await runDemo(config, { dir: option(rest, '--dir') });
      return 0;
    case 'customers':
    case 'packages': {
      const code = await runInventoryCommand(config, command, rest);
      if (code !== undefined) return code;
      break;
    }
    case 'schedules':
    case 'run':
    case 'jobs':
    case 'snapshots':
    case 'restore': {
      const code = await runOperatorCommand(config, command, rest);
      if (code !== undefined) return code;
      break;
    }
    case 'key': {
      if (rest[0] !== 'export' || !rest[1]) break;
      const owner = ownerSchema.safeParse(rest[1]);
      if (!owner.success) {
        console.error(`hostvault: ${owner.error.issues[0]?.message}`);
        return 2;
      }
      const app = await openApp(config);
      try {
        const target = targetSchema.parse({
          kind: 'local',
          path: option(rest, '--target-dir') ?? config.localRepositoryDir,
        });
        const { url, keyFile } = await app.repositoryRecords.exportKey(target, owner.data);
        console.error(`# key of ${url}; open with: restic -r ${url} --password-file <this file>`);
        process.stdout.write(keyFile);
      } finally {
        await app.close();
      }
      return 0;
    }
    case 'version': {
      const app = await openApp(config);
      console.log(`hostvault 0.1.0, ${app.restic.version.text}`);
      await app.close();
      return 0;
    }
  }
  process.stderr.write(USAGE);
  return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`hostvault: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
