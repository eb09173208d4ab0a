/** The admin area's repositories: the list, and each one's key file to download. */
import { z } from 'zod';
import { RepositoryError, type RepositoryService } from '../../repository/repository-service.js';
import type { ApiModule } from '../deps.js';
import type { RouteRegistry } from '../registry.js';
import { notFound } from '../errors.js';

export type { RepositorySummary } from '../../repository/repository-service.js';

/** The repository service's part the admin area uses: it unseals and shapes the key file. */
export type RepositoryKeys = Pick<RepositoryService, 'list' | 'exportKeyById'>;

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
const RepositorySchema = z
  .object({
    id: z.number().int(),
    url: z.string(),
    owner: z.string().describe('A customer id, or "server" for server-wide backups.'),
    targetKind: z.enum(['local', 's3', 'ftp', 'vault']),
    createdAt: z.string(),
    initializedAt: z.string().nullable(),
  })
  .meta({ id: 'Repository' });

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
        const key = await deps.repositories.exportKeyById(params.id).catch((error: unknown) => {
          if (error instanceof RepositoryError) throw notFound();
          throw error;
        });
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
