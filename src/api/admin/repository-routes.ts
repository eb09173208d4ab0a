/** The admin area's repositories: the list, and each one's key file to download. */
import { z } from 'zod';
import type { Keyring } from '../../repository/keyring.js';
import type { Store } from '../../store/index.js';
import type { ApiModule } from '../deps.js';
import type { RouteRegistry } from '../registry.js';
import { notFound } from '../errors.js';

export interface RepositorySummary {
  id: number;
  url: string;
  owner: string;
  targetKind: 'local' | 's3' | 'ftp';
  createdAt: string;
  initializedAt: string | null;
}

export interface RepositoryKeys {
  list(): Promise<RepositorySummary[]>;
  keyFile(id: number): Promise<{ owner: string; url: string; keyFile: string } | undefined>;
}

export function storeRepositoryKeys(store: Store, keyring: Keyring): RepositoryKeys {
  return {
    async list() {
      const rows = await store.db.selectFrom('repositories').selectAll().orderBy('id').execute();
      return rows.map((row) => ({
        id: row.id,
        url: row.url,
        owner: row.owner,
        targetKind: row.target_kind,
        createdAt: row.created_at,
        initializedAt: row.initialized_at,
      }));
    },
    async keyFile(id: number) {
      const row = await store.db
        .selectFrom('repositories')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      if (!row) return undefined;
      const keyFile = `${keyring.open(row.password_sealed, row.url)}\n`;
      return { owner: row.owner, url: row.url, keyFile };
    },
  };
}

export interface RepositoryRouteDeps {
  repositories: RepositoryKeys;
}

const RepositoryIdParams = z.strictObject({
  id: z.coerce
    .number({ error: 'Repository ID must be a number' })
    .int()
    .positive()
    .max(Number.MAX_SAFE_INTEGER),
});
const RepositorySchema = z.object({
  id: z.number().int(),
  url: z.string(),
  owner: z.string().describe('A customer id, or "server" for server-wide backups.'),
  targetKind: z.enum(['local', 's3', 'ftp']),
  createdAt: z.string(),
  initializedAt: z.string().nullable(),
});

export function repositoryRoutes(deps: RepositoryRouteDeps): ApiModule {
  return (api: RouteRegistry): void => {
    api.route({
      method: 'GET',
      path: '/api/admin/repositories',
      operationId: 'adminListRepositories',
      summary: 'Every backup repository hostvault made',
      tags: ['admin'],
      access: 'admin',
      responses: {
        200: {
          description: 'The repositories, by id.',
          schema: z.object({ repositories: z.array(RepositorySchema) }),
        },
      },
      async handler() {
        return { repositories: await deps.repositories.list() };
      },
    });
    api.route({
      method: 'GET',
      path: '/api/admin/repositories/:id/key',
      operationId: 'adminDownloadRepositoryKey',
      summary: "Download a repository's key file",
      description:
        "The password file that opens the repository with plain restic: `restic -r <url> --password-file hostvault-<owner>.key` plus the target's own credentials. Without it there is no recovery if this server is lost.",
      tags: ['admin'],
      access: 'admin',
      params: RepositoryIdParams,
      responses: {
        200: {
          description: 'The key file.',
          contentType: 'text/plain',
          headers: {
            'Content-Disposition': { description: 'attachment; filename="hostvault-<owner>.key"' },
          },
        },
      },
      async handler({ params, reply, request }) {
        const key = await deps.repositories.keyFile(params.id);
        if (!key) throw notFound();
        request.log.info({ repositoryId: params.id, owner: key.owner }, 'repository key exported');
        return reply
          .header(
            'content-disposition',
            `attachment; filename="hostvault-${key.owner.replace(/[^\w-]/g, '_')}.key"`,
          )
          .type('text/plain; charset=utf-8')
          .send(key.keyFile);
      },
    });
  };
}
