/**
 * The fleet's setup commands: `fleet nkey <seed file>` makes a NATS identity (the seed stays in a
 * file only root reads, the public key is printed for the configuration), and
 * `fleet nats-config <fleet.json>` prints the nats-server configuration of the fleet's
 * controllers and agents (src/fleet/nats-config.ts decides what each may do).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { createUser } from '@nats-io/nkeys';
import { z } from 'zod';
import { natsFleetConfig } from '../fleet/nats-config.js';

const fleetFileSchema = z.strictObject({
  listen: z.strictObject({ host: z.string().min(1), port: z.number().int().min(1).max(65535) }),
  tls: z.strictObject({
    certFile: z.string().min(1),
    keyFile: z.string().min(1),
    caFile: z.string().min(1),
  }),
  jetStream: z.strictObject({
    storeDir: z.string().min(1),
    maxFileStoreBytes: z.number().int().positive().optional(),
    maxMemoryStoreBytes: z.number().int().positive().optional(),
  }),
  controllers: z.array(z.strictObject({ nkey: z.string() })),
  agents: z.array(z.strictObject({ server: z.string(), nkey: z.string() })),
  /** The fleet's vault (`hostvault vault` on NATS): its public nkey. */
  vault: z.strictObject({ nkey: z.string() }).optional(),
  rpcReplyWindow: z.string().optional(),
  /**
   * The users file the controller writes at each enrollment and revocation
   * (HOSTVAULT_NATS_AUTH_FILE), relative to the configuration's folder; `controllers` and
   * `agents` are then left out of the printed configuration.
   */
  authorizationInclude: z.string().min(1).optional(),
});

export const FLEET_USAGE = `  fleet nkey <seed file>      make a NATS identity for a controller or an agent: its seed into
                              <seed file> (0600, never overwritten), its public key printed
  fleet nats-config <file>    print the nats-server configuration of the fleet described in
                              <file> (JSON: listen, tls, jetStream, controllers, agents, vault,
                              or authorizationInclude: the users file the controller writes)
`;

/** Runs `fleet …`; the exit code, or undefined when the arguments are not a fleet command. */
export async function runFleetCommand(
  args: string[],
  out: (text: string) => void = (text) => process.stdout.write(text),
): Promise<number | undefined> {
  const [sub, file, ...rest] = args;
  if (!file || rest.length > 0) return undefined;
  if (sub === 'nkey') {
    const user = createUser();
    // 'wx': a seed already there is someone's identity; never replace it.
    await writeFile(file, `${new TextDecoder().decode(user.getSeed())}\n`, {
      mode: 0o600,
      flag: 'wx',
    }).catch((error: NodeJS.ErrnoException) => {
      throw new Error(
        error.code === 'EEXIST' ? `${file} exists already; choose another file.` : error.message,
      );
    });
    out(`${user.getPublicKey()}\n`);
    return 0;
  }
  if (sub === 'nats-config') {
    const parsed = fleetFileSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${file}: ${issue?.path.join('.') || 'the file'}: ${issue?.message}`);
    }
    out(natsFleetConfig(parsed.data));
    return 0;
  }
  return undefined;
}
