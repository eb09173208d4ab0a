/**
 * Writes docs/api.md from the OpenAPI document the service serves, so the reference is generated
 * from the same schemas that validate requests. `npm run docs:api`; a test checks it is current.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { servedOpenApiDocument, type ServedOpenApiDocument } from './openapi-document.js';

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  description?: string;
  items?: Schema;
}

export async function renderApiReference(document?: ServedOpenApiDocument): Promise<string> {
  const doc = document ?? (await servedOpenApiDocument());
  const lines = [
    '# API reference',
    '',
    `Generated from the OpenAPI document (\`GET /api/openapi.json\`) of ${doc.info.title} ${doc.info.version} by`,
    '`npm run docs:api`; do not edit by hand. Every input is validated: a rejected request answers 400',
    'with `{ "error": { "code", "message", "params"?, "fields": [{ "field", "code", "message", "params"? }] } }`',
    'and changes nothing. `code` is stable (src/errors/codes.ts): decide by it; `message` says the same in',
    "English. Another customer's id answers 404 exactly like an id that does not exist.",
    '',
  ];
  for (const [path, methods] of Object.entries(doc.paths).sort(([a], [b]) => a.localeCompare(b))) {
    for (const [method, op] of Object.entries(methods)) {
      lines.push(`## ${method.toUpperCase()} ${path}`, '', op.summary ?? '', '');
      if (op.description) lines.push(op.description, '');
      const params = op.parameters ?? [];
      const body = op.requestBody?.content?.['application/json']?.schema as Schema | undefined;
      const fields = body?.properties ? Object.entries(body.properties) : [];
      if (params.length || fields.length) {
        lines.push('| input | in | required | description |', '| --- | --- | --- | --- |');
        for (const p of params)
          lines.push(
            `| \`${p.name}\` | ${p.in} | ${p.required ? 'yes' : 'no'} | ${clean(p.description)} |`,
          );
        for (const [name, schema] of fields) {
          const kind = schema.enum ? schema.enum.map((v) => `\`${String(v)}\``).join(', ') : '';
          lines.push(
            `| \`${name}\` | body | ${body?.required?.includes(name) ? 'yes' : 'no'} | ${clean([schema.description, kind].filter(Boolean).join(' '))} |`,
          );
        }
        lines.push('');
      }
      const answers = Object.entries(op.responses ?? {}).map(
        ([code, r]) => `${code} ${clean(r.description)}`,
      );
      if (answers.length) lines.push(`Answers: ${answers.join('; ')}`, '');
    }
  }
  return `${lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

function clean(text: string | undefined): string {
  return (text ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = fileURLToPath(new URL('../docs/api.md', import.meta.url));
  await writeFile(out, await renderApiReference());
  console.log(`wrote ${out}`);
}
