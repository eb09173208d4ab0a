/** The admin area's coverage view: every customer's protection, as JSON pages or one CSV. */
import { z } from 'zod';
import {
  COVERAGE_STATES,
  coverageCsv,
  coverageQuerySchema,
  type CoverageService,
} from '../../coverage/coverage-service.js';
import { CONTENTS, SCOPES } from '../../scope/scope.js';
import type { ApiModule } from '../deps.js';
import type { RouteRegistry } from '../registry.js';

export interface CoverageRouteDeps {
  coverage: Pick<CoverageService, 'list' | 'all'>;
}

const CoverageRowSchema = z
  .object({
    customerId: z.string(),
    name: z.string(),
    packageId: z.string(),
    server: z.string(),
    state: z.enum(COVERAGE_STATES).describe('The worst of `problems`, or ok.'),
    problems: z.array(z.enum(COVERAGE_STATES)),
    schedules: z.number().int(),
    scopes: z.array(z.enum(SCOPES)),
    lastSuccess: z.partialRecord(z.enum(SCOPES), z.string()),
    lastSuccessAt: z.string().nullable(),
    overdueSchedules: z.number().int(),
    failedSchedules: z.number().int(),
    partialSchedules: z
      .number()
      .int()
      .describe('Schedules whose last backup succeeded without some files (unreadable).'),
    unscheduledAreas: z.array(z.enum(CONTENTS)),
    lastVerifiedAt: z.string().nullable(),
    repositoryBytes: z
      .number()
      .describe("What the customer's successful backups added (an upper bound of the size)."),
  })
  .meta({ id: 'CoverageRow' });

const CoverageListQuery = coverageQuerySchema.extend({
  format: z.enum(['json', 'csv']).default('json').describe('csv: every matching row as CSV.'),
});
const CsvQuery = coverageQuerySchema.omit({ offset: true, limit: true });

export function coverageRoutes(deps: CoverageRouteDeps): ApiModule {
  return (api: RouteRegistry): void => {
    api.route({
      method: 'GET',
      path: '/api/admin/coverage',
      operationId: 'adminCoverage',
      summary: "Every customer's backup coverage: last successes, problems, last verified restore",
      description:
        'States: failed (a schedule whose last run failed), overdue (no success for twice its interval), unscheduled (no enabled schedule), partial (last backup left files out), uncovered (an area no schedule covers), unverified (no restore drill verified in 14 days), ok. `counts` are over all matching customers; `rows` one page of them. `format=csv` answers every matching row as CSV (as /api/admin/coverage.csv).',
      tags: ['admin'],
      access: 'admin',
      query: CoverageListQuery,
      responses: {
        200: {
          description: 'One page of customers, and the counts per state.',
          schema: z.object({
            total: z.number().int(),
            counts: z.record(z.enum(COVERAGE_STATES), z.number().int()),
            rows: z.array(CoverageRowSchema),
          }),
        },
      },
      async handler({ query, reply }) {
        const { format, ...rest } = query;
        if (format === 'csv') return sendCsv(reply, coverageCsv(await deps.coverage.all(rest)));
        return deps.coverage.list(rest);
      },
    });
    api.route({
      method: 'GET',
      path: '/api/admin/coverage.csv',
      operationId: 'adminCoverageCsv',
      summary: 'The coverage view as CSV: every matching customer, one line each',
      tags: ['admin'],
      access: 'admin',
      query: CsvQuery,
      responses: { 200: { description: 'CSV (RFC 4180).', contentType: 'text/csv' } },
      async handler({ query, reply }) {
        return sendCsv(reply, coverageCsv(await deps.coverage.all(query)));
      },
    });
  };
}

function sendCsv(
  reply: Parameters<Parameters<RouteRegistry['route']>[0]['handler']>[0]['reply'],
  text: string,
) {
  reply.header('content-type', 'text/csv; charset=utf-8');
  reply.header('content-disposition', 'attachment; filename="hostvault-coverage.csv"');
  return reply.send(text);
}
