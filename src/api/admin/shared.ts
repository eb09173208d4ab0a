/** What the admin area's route files share: answers and how refusals are worded. */
import { z } from 'zod';
import type { InventoryValidationError } from '../../inventory/index.js';
import { HostvaultError, ValidationError, type FieldError } from '../../errors/index.js';

export const Deleted = z.object({ deleted: z.literal(true) });

function fieldsOf(issues: InventoryValidationError['issues']): FieldError[] {
  return issues.map((issue) => ({
    field: issue.path === '' ? 'body' : issue.path.replace(/\[(\d+)\]/g, '.$1'),
    code: 'inventory.invalid' as const,
    message: issue.message,
  }));
}
export function invalid(error: InventoryValidationError, what: string): ValidationError {
  const fields = fieldsOf(error.issues);
  const message =
    fields.length === 1 && fields[0]
      ? `${what}: ${fields[0].field} \u2014 ${fields[0].message}`
      : `${what} has ${fields.length} problems; nothing was changed.`;
  return new ValidationError(fields, message);
}
export function checkIdMatches(pathId: string, bodyId: string | undefined): void {
  if (bodyId !== undefined && bodyId !== pathId) {
    throw new HostvaultError(
      'request.id_mismatch',
      'ID in the body differs from the one in the path',
      {
        params: { id: pathId },
        fields: [
          {
            field: 'id',
            code: 'request.id_mismatch',
            message: `ID must be "${pathId}", as in the path, or left out`,
            params: { id: pathId },
          },
        ],
      },
    );
  }
}
