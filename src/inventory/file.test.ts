import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { InventoryFileError, parseInventoryFile, parseInventoryText } from './file.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostvault-inventory-file-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const expected = {
  packages: [
    { id: 'basic', name: 'Basic', frequencies: ['daily'], maxRetention: 7, maxSchedules: 2 },
  ],
  customers: [{ id: 'alice', webRoot: '/var/www/alice', databases: ['alice_wp'] }],
};

const yamlText = `# exported by the panel
packages:
  - id: basic
    name: Basic
    frequencies: [daily]
    maxRetention: 7
    maxSchedules: 2
customers:
  - id: alice
    webRoot: /var/www/alice
    databases:
      - alice_wp
`;

describe('parseInventoryFile', () => {
  test('reads YAML and JSON by extension', async () => {
    await writeFile(join(dir, 'inv.yaml'), yamlText);
    await writeFile(join(dir, 'inv.yml'), yamlText);
    await writeFile(join(dir, 'inv.json'), JSON.stringify(expected));
    assert.deepEqual(await parseInventoryFile(join(dir, 'inv.yaml')), expected);
    assert.deepEqual(await parseInventoryFile(join(dir, 'inv.yml')), expected);
    assert.deepEqual(await parseInventoryFile(join(dir, 'inv.json')), expected);
  });

  test('reads by content when the extension says nothing', async () => {
    await writeFile(join(dir, 'inv-json'), `\uFEFF  ${JSON.stringify(expected, null, 2)}`);
    await writeFile(join(dir, 'inv-yaml.txt'), yamlText);
    assert.deepEqual(await parseInventoryFile(join(dir, 'inv-json')), expected);
    assert.deepEqual(await parseInventoryFile(join(dir, 'inv-yaml.txt')), expected);
  });

  test('names the file and the position of a syntax error', async () => {
    await writeFile(join(dir, 'bad.json'), '{"customers": [}');
    await assert.rejects(parseInventoryFile(join(dir, 'bad.json')), (error: unknown) => {
      assert.ok(error instanceof InventoryFileError);
      assert.match(error.message, /bad\.json is not valid JSON: Unexpected token/);
      return true;
    });
    assert.throws(
      () => parseInventoryText('customers:\n  - id: a\n   webRoot: x\n', 'bad.yaml'),
      /^InventoryFileError: bad\.yaml is not valid YAML: .*line 3/,
    );
  });

  test('refuses a YAML key given twice', () => {
    assert.throws(
      () => parseInventoryText('customers:\n  - id: a\n    id: b\n', 'dup.yaml'),
      /dup\.yaml is not valid YAML: Map keys must be unique/,
    );
  });

  test('says when the file is missing', async () => {
    await assert.rejects(
      parseInventoryFile(join(dir, 'none.yaml')),
      new RegExp(`^InventoryFileError: cannot read ${join(dir, 'none.yaml')}: no such file$`),
    );
  });
});
