#!/usr/bin/env node
/**
 * hostvault's command line: the service itself (`serve`, and in a fleet `controller` and
 * `agent`) and the operator's tools over the same services. Each command loads only the modules
 * it uses: an agent on a hosting server never loads the API, the store or the web UI's server.
 */
import { loadConfig } from './config.js';

const usage = async () => `usage: hostvault <command>

commands:
  serve [--demo]              run the service: API, scheduler and worker (HOSTVAULT_PORT, default
                              8420); --demo first imports the demo hosting layout with sign-ins
  controller                  run the service of a fleet: as serve, with every hosting server
                              reached through its agent over NATS (HOSTVAULT_NATS_URL ...), the
                              store in HOSTVAULT_DATABASE_URL; HOSTVAULT_SERVER_ID: the default
                              server of customers the inventory names no server for
  agent                       run the agent of this hosting server (its enrollment's settings
                              file, or HOSTVAULT_SERVER_ID ...): its jobs, browse, downloads and
                              connection tests, over NATS
  agent enroll --controller URL --token T [--nats-ca F --nats-cert F --nats-key F]
                              [--nats-url URL] [--settings FILE]
                              enroll this hosting server: make its NATS key here, send the
                              public key with the one-time token, write the agent's settings
  vault                       run the vault: an append-only restic REST endpoint over TLS in front
                              of the real target (HOSTVAULT_VAULT_CERT, _KEY, _LISTEN, _TARGET)
  vault credential <agent>    issue (or replace) an agent's vault password; printed once
  vault revoke <agent>        take an agent's vault credential away
  demo [--dir DIR]            build a demo hosting layout (three customers), import it, back up
                              their web roots and restore a file with real restic
  demo layout [--dir DIR]     only build the demo layout and import it into the inventory
  customers list              list the customers in the inventory
  customers import <file> [--prune]
                              import packages and customers from a YAML or JSON file, all or
                              nothing; --prune deletes those the file does not list
  packages list               list the backup packages
${(await import('./cli/index.js')).OPERATOR_USAGE}${(await import('./cli/fleet.js')).FLEET_USAGE}${(await import('./cli/fleet-servers.js')).FLEET_SERVERS_USAGE}  key export <owner> [--target-dir DIR]
                              print the key file of <owner>'s repository on the local target
  version                     print the versions of hostvault and restic
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const config = loadConfig();
  switch (command) {
    case 'serve': {
      const { startService } = await import('./serve.js');
      const service = await startService(config, { demo: rest.includes('--demo') });
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await service.stop();
      return 0;
    }
    case 'agent':
      if (rest[0] === 'enroll') {
        const controller = option(rest, '--controller');
        const token = option(rest, '--token');
        if (!controller || !token) break;
        const { enrollAgent } = await import('./fleet/enroll.js');
        const nats = {
          caFile: option(rest, '--nats-ca'),
          certFile: option(rest, '--nats-cert'),
          keyFile: option(rest, '--nats-key'),
        };
        const done = await enrollAgent({
          controller,
          token,
          dataDir: config.dataDir,
          settingsFile: option(rest, '--settings'),
          natsUrl: option(rest, '--nats-url'),
          tls: Object.fromEntries(Object.entries(nats).filter(([, v]) => v !== undefined)),
        });
        console.log(
          `enrolled as server ${done.server}; NATS ${done.natsUrl}; settings in ${done.settingsFile}, ` +
            `key in ${done.seedFile}. Start the agent: hostvault agent`,
        );
        return 0;
      }
    // falls through
    case 'controller': {
      const running =
        command === 'agent'
          ? await (await import('./agent-role.js')).startAgent(config)
          : await (await import('./controller.js')).startController(config);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await running.stop();
      return 0;
    }
    case 'vault': {
      if (rest[0] === 'credential' || rest[0] === 'revoke') {
        if (!rest[1]) break;
        const { loadVaultSettings } = await import('./vault/settings.js');
        const { AGENT_NAME, issueCredential, revokeCredential } =
          await import('./vault/htpasswd.js');
        const file =
          loadVaultSettings(process.env, config.dataDir)?.htpasswdFile ??
          process.env.HOSTVAULT_VAULT_HTPASSWD ??
          `${config.dataDir}/vault.htpasswd`;
        if (rest[0] === 'revoke') {
          const had = await revokeCredential(file, rest[1]);
          console.error(had ? `revoked ${rest[1]}` : `${rest[1]} had no credential`);
          return had ? 0 : 1;
        }
        if (!AGENT_NAME.test(rest[1])) {
          console.error(
            'hostvault: an agent name may contain only lower-case letters, digits, dashes and underscores',
          );
          return 2;
        }
        const password = await issueCredential(file, rest[1]);
        console.error(`# vault password of ${rest[1]}; give it to that agent's vault target only`);
        process.stdout.write(`${password}\n`);
        return 0;
      }
      if (rest.length > 0) break;
      const running = await (await import('./vault-role.js')).startVault(config);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await running.stop();
      return 0;
    }
    case 'fleet': {
      const { runFleetCommand } = await import('./cli/fleet.js');
      const code = await runFleetCommand(rest);
      if (code !== undefined) return code;
      const { runFleetServersCommand } = await import('./cli/fleet-servers.js');
      const servers = await runFleetServersCommand(config, rest);
      if (servers !== undefined) return servers;
      break;
    }
    case 'demo': {
      const { runDemo, runLayoutDemo } = await import('./demo/engine-demo.js');
      if (rest[0] === 'layout') await runLayoutDemo(config, { dir: option(rest, '--dir') });
      else await runDemo(config, { dir: option(rest, '--dir') });
      return 0;
    }
    case 'customers':
    case 'packages': {
      const { runInventoryCommand } = await import('./cli/inventory.js');
      const code = await runInventoryCommand(config, command, rest);
      if (code !== undefined) return code;
      break;
    }
    case 'schedules':
    case 'run':
    case 'jobs':
    case 'snapshots':
    case 'restore':
    case 'lifecycle':
    case 'holds': {
      const { runOperatorCommand } = await import('./cli/index.js');
      const code = await runOperatorCommand(config, command, rest);
      if (code !== undefined) return code;
      break;
    }
    case 'key': {
      if (rest[0] !== 'export' || !rest[1]) break;
      const { ownerSchema, targetSchema } = await import('./target/schema.js');
      const { openApp } = await import('./app.js');
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
      const { openApp } = await import('./app.js');
      const app = await openApp(config);
      console.log(`hostvault 0.1.0, ${app.restic.version.text}`);
      await app.close();
      return 0;
    }
  }
  process.stderr.write(await usage());
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
