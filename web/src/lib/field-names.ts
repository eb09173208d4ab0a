/**
 * The name a form shows for each field the API may refuse ("retention", "target.host"), in the
 * active language: a refusal in German names the field in German ("„Aufbewahrung“ ist
 * erforderlich.") instead of the API's English label or a bare "Dieses Feld".
 */
import { m } from '../messages/index.js';

export function fieldName(field: string): string | undefined {
  const form = m.scheduleForm;
  const [head, key] = field.split('.', 2);
  if (head === 'target' && key !== undefined) {
    if (key === 'path') return form.localPath;
    if (key === 'kind') return form.target;
    if (Object.hasOwn(form.s3, key)) return form.s3[key as keyof typeof form.s3];
    if (Object.hasOwn(form.ftp, key)) return form.ftp[key as keyof typeof form.ftp];
    return undefined;
  }
  const names: Record<string, string> = {
    name: form.name,
    scope: form.scope,
    frequency: form.frequency,
    hour: form.hour,
    day: form.day,
    retention: form.retention,
    target: form.target,
    enabled: form.enabled,
    username: m.signIn.username,
    password: m.signIn.password,
  };
  return Object.hasOwn(names, field) ? names[field] : undefined;
}
