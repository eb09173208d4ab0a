/**
 * Writes docs/api.md from the OpenAPI document the service serves, so the reference is generated
 * from the same schemas that validate requests. `npm run docs:api`; a test checks it is current.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { startService } from '../src/serve.js';

interface Operation {
  summary?: string;
  description?: string;
  parameters?: { name: string; in: string; required?: boolean; description?: string }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string }>;
  security?: unknown[];
}
interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  description?: string;
  items?: Schema;
}

export async function renderApiReference(): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'hv-apidoc-'));
  const env = {
    HOSTVAULT_DATA_DIR: join(work, 'data'),
    HOSTVAULT_KEY_FILE: join(work, 'master.key'),
    HOSTVAULT_ADMIN_PASSWORD: 'api-reference-only',
  };
  const saved = process.env.HOSTVAULT_ADMIN_PASSWORD;
  process.env.HOSTVAULT_ADMIN_PASSWORD = env.HOSTVAULT_ADMIN_PASSWORD;
  const service = await startService(
    { ...loadConfig(env), listen: { host: '127.0.0.1', port: 0 } },
    { log: () => undefined },
  );
  try {
    const doc = (await (await fetch(`${service.url}/api/openapi.json`)).json()) as {
      info: { title: string; version: string };
      paths: Record<string, Record<string, Operation>>;
    };
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
    for (const [path, methods] of Object.entries(doc.paths).sort(([a], [b]) =>
      a.localeCompare(b),
    )) {
      for (const [method, op] of Object.entries(methods)) {
        lines.push(`## ${method.toUpperCase()} ${path}`, '', op.summary ?? '', '');
        if (op.description) lines.push(op.description, '');
        const params = op.parameters ?? [];
        const body = op.requestBody?.content?.['application/json']?.schema;
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
  } finally {
    await service.stop();
    if (saved === undefined) delete process.env.HOSTVAULT_ADMIN_PASSWORD;
    else process.env.HOSTVAULT_ADMIN_PASSWORD = saved;
    await rm(work, { recursive: true, force: true });
  }
}

function clean(text: string | undefined): string {
  return (text ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = fileURLToPath(new URL('../docs/api.md', import.meta.url));
  await writeFile(out, await renderApiReference());
  console.log(`wrote ${out}`);
}
