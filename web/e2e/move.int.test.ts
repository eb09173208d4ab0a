/**
 * Moving a customer to another hosting server from the admin area's Customers tab, in a real
 * browser against the real service: the dialog lists only the servers a customer can go to
 * (online, not revoked, not awaiting enrollment, not its own), the confirmation says what
 * happens, a customer whose schedule backs up to a directory on its server is refused in the
 * service's words (nothing changes), and a customer without one is moved and shows its new
 * server. Then the same at phone width in German. And the hosting server of an entire-server
 * schedule chosen in its form, changed and cleared.
 *
 * The other servers are records with a presence, as the controller keeps them from the agents'
 * heartbeats: which agent runs the customer's next backup is the fleet's part
 * (test/fleet/customer-move.int.test.ts moves a customer between two real agents).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { createUser } from '@nats-io/nkeys';
import { ServerRecords } from '../../src/fleet/server-records.js';
import {
  ensureBuilt,
  expectAccessible,
  expectFitsWidth,
  openBrowser,
  PHONE,
  startWorld,
  type Browser,
  type World,
} from './harness.js';

let world: World;
let records: ServerRecords;
let heartbeat: NodeJS.Timeout | undefined;

/** Enrolls `id`; an online one's agent heartbeat is recorded now and every 10 s (before()). */
async function server(id: string, state: 'online' | 'offline' | 'revoked' | 'awaiting') {
  const { token } = await records.createEnrollment({ server: id, createdBy: 'test' });
  if (state === 'awaiting') return;
  await records.enroll({ token, nkey: createUser().getPublicKey() });
  if (state === 'revoked') await records.revoke(id);
  if (state === 'online') await beat(id);
}

function beat(id: string): Promise<void> {
  const now = new Date().toISOString();
  return records.recordPresence({
    server: id,
    state: 'online',
    at: now,
    startedAt: now,
    intervalMs: 10_000,
    running: [],
  });
}

before(async () => {
  ensureBuilt();
  world = await startWorld();
  records = new ServerRecords(world.service.app.store);
  // Alice backs up to a directory on her server; Bob has no schedule yet.
  await world.service.app.schedules.create(
    { role: 'customer', customerId: world.alice.id },
    world.alice.id,
    {
      name: 'Alice nightly',
      scope: 'web',
      frequency: 'daily',
      retention: 3,
      target: { kind: 'local' },
    },
  );
  await server('web2', 'online');
  heartbeat = setInterval(() => void beat('web2'), 10_000);
  await server('web3', 'offline');
  await server('web4', 'revoked');
  await server('web5', 'awaiting');
});
after(async () => {
  if (heartbeat) clearInterval(heartbeat);
  await world?.close();
});

const serverOf = async (id: string) =>
  (await world.service.app.inventory.getCustomer(id))?.server ?? 'local';

async function signInAs(page: Page, german: boolean) {
  await page.goto(world.url);
  await page
    .getByRole('textbox', { name: german ? 'Benutzername' : 'User name' })
    .fill(world.admin.username);
  await page
    .getByRole('textbox', { name: german ? 'Passwort' : 'Password' })
    .fill(world.admin.password);
  await page.getByRole('button', { name: german ? 'Anmelden' : 'Sign in' }).click();
  await page.getByRole('tab', { name: german ? 'Kunden' : 'Customers' }).click();
}

describe('moving a customer to another server', { timeout: 180_000 }, () => {
  let browser: Browser;
  let page: Page;
  before(async () => {
    browser = await openBrowser('move');
    page = browser.page;
    await signInAs(page, false);
  });
  after(async () => browser?.close());

  test('lists the servers it can go to and refuses a local target in the service’s words', async () => {
    const row = page.getByTestId('customer-row').filter({ hasText: world.alice.id });
    await row
      .getByRole('button', { name: 'Move customer Alice Example to another server' })
      .click();
    const dialog = page.getByRole('dialog', {
      name: 'Move customer Alice Example to another server',
    });
    await dialog.getByText('Now on server local.').waitFor();
    // Continue without a choice: the field says what is missing.
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await dialog.getByText('Choose the server to move to.').waitFor();
    await dialog.getByRole('combobox', { name: 'Move to' }).click();
    const options = await page.getByRole('option').allTextContents();
    assert.deepEqual(options, ['web2'], 'only the online, enrolled server that is not her own');
    await browser.shot('01-move-choose');
    await expectAccessible(page, 'the move dialog');
    await page.getByRole('option', { name: 'web2' }).click();
    await dialog.getByRole('button', { name: 'Continue' }).click();

    const confirm = page.getByRole('dialog', { name: 'Move Alice Example to web2?' });
    const said = (await confirm.textContent()) ?? '';
    assert.match(said, /run on the agent of web2/);
    assert.match(said, /repositories on S3 or FTP continue/);
    assert.match(said, /directory on local cannot follow/);
    await confirm.getByRole('button', { name: 'Move', exact: true }).click();
    const refusal = confirm.getByRole('alert');
    await refusal.waitFor();
    assert.equal(
      await refusal.textContent(),
      `Schedule "Alice nightly" of customer ${world.alice.id} backs up to a directory on server local: another server cannot reach that repository. Change the schedule's target to S3 or FTP first.`,
    );
    await browser.shot('02-move-refused');
    await expectAccessible(page, 'the move refused');
    assert.equal(await serverOf(world.alice.id), 'local', 'nothing changed');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
  });

  test('moves a customer without a local target, and the row shows its new server', async () => {
    const row = page.getByTestId('customer-row').filter({ hasText: world.bob.id });
    await row.getByRole('button', { name: 'Move customer Bob Example to another server' }).click();
    const dialog = page.getByRole('dialog', {
      name: 'Move customer Bob Example to another server',
    });
    await dialog.getByRole('combobox', { name: 'Move to' }).click();
    await page.getByRole('option', { name: 'web2' }).click();
    await dialog.getByRole('button', { name: 'Continue' }).click();
    const confirm = page.getByRole('dialog', { name: 'Move Bob Example to web2?' });
    await confirm.getByRole('button', { name: 'Move', exact: true }).click();
    await page.getByText('Customer Bob Example has been moved from local to web2.').waitFor();
    await confirm.waitFor({ state: 'detached' });
    assert.equal(await serverOf(world.bob.id), 'web2');
    await row.getByRole('cell', { name: 'web2', exact: true }).waitFor();
    await browser.shot('03-moved');
    await expectAccessible(page, 'Customers after a move');

    // On web2 now: the list offers local (the implicit server, online) and not web2.
    await row.getByRole('button', { name: 'Move customer Bob Example to another server' }).click();
    const again = page.getByRole('dialog', { name: 'Move customer Bob Example to another server' });
    await again.getByText('Now on server web2.').waitFor();
    await again.getByRole('combobox', { name: 'Move to' }).click();
    assert.deepEqual(await page.getByRole('option').allTextContents(), ['local']);
    await page.keyboard.press('Escape');
    await again.getByRole('button', { name: 'Cancel' }).click();
  });
});

describe('the hosting server of a server-wide schedule', { timeout: 120_000 }, () => {
  let browser: Browser;
  let page: Page;
  before(async () => {
    browser = await openBrowser('server-schedule');
    page = browser.page;
    await signInAs(page, false);
  });
  after(async () => browser?.close());

  const stored = async (name: string) =>
    (
      await world.service.app.store.db
        .selectFrom('schedules')
        .select('server_id')
        .where('name', '=', name)
        .executeTakeFirstOrThrow()
    ).server_id;

  test('is chosen when an entire-server schedule is made, and changed by editing it', async () => {
    await page.getByRole('tab', { name: 'Server-wide backups' }).click();
    await page.getByRole('button', { name: 'New server-wide schedule' }).click();
    const dialog = page.getByRole('dialog', { name: 'New server-wide schedule' });
    const hosting = dialog.getByRole('combobox', { name: 'Hosting server' });
    // Enrolled servers (online or not) and this one; never a revoked or an awaiting one.
    assert.deepEqual(await hosting.locator('option').allTextContents(), [
      'Every server',
      'local',
      'web2',
      'web3',
    ]);
    await hosting.selectOption({ label: 'web2' });
    await browser.shot('01-hosting-server');
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Web2 nightly');
    await dialog.getByRole('combobox', { name: 'Scope' }).selectOption('web');
    await dialog.getByRole('combobox', { name: 'Frequency' }).selectOption('daily');
    await dialog.getByRole('spinbutton', { name: 'Retention' }).fill('5');
    await dialog
      .getByRole('radiogroup', { name: 'Target' })
      .getByText('Local', { exact: true })
      .click();
    await dialog
      .getByRole('textbox', { name: 'Directory on the server' })
      .fill(`${world.dir}/web2-repositories`);
    await expectAccessible(page, 'the server-wide schedule form with its server');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await stored('Web2 nightly'), 'web2');

    // One customer's server-wide schedule follows the customer: no server to choose.
    await page.getByRole('button', { name: 'New server-wide schedule' }).click();
    const single = page.getByRole('dialog', { name: 'New server-wide schedule' });
    await single.getByRole('combobox', { name: 'Back up' }).selectOption({ index: 1 });
    await single.getByRole('combobox', { name: 'Hosting server' }).waitFor({ state: 'detached' });
    await single.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('button', { name: 'Edit Web2 nightly' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit Web2 nightly' });
    const editing = edit.getByRole('combobox', { name: 'Hosting server' });
    assert.equal(await editing.inputValue(), 'web2');
    await editing.selectOption({ label: 'local' });
    await edit.getByRole('button', { name: /^Save/ }).click();
    await edit.waitFor({ state: 'detached' });
    assert.equal(await stored('Web2 nightly'), 'local');
    await page.getByRole('button', { name: 'Edit Web2 nightly' }).click();
    await edit
      .getByRole('combobox', { name: 'Hosting server' })
      .selectOption({ label: 'Every server' });
    await edit.getByRole('button', { name: /^Save/ }).click();
    await edit.waitFor({ state: 'detached' });
    assert.equal(await stored('Web2 nightly'), null);
  });
});

describe('at phone width, in German', { timeout: 120_000 }, () => {
  let browser: Browser;
  let page: Page;
  before(async () => {
    browser = await openBrowser('move-phone-de', PHONE, 'de-DE');
    page = browser.page;
    await signInAs(page, true);
  });
  after(async () => browser?.close());

  test('the dialog and the refusal fit the phone and speak German', async () => {
    const card = page.getByTestId('customer-row').filter({ hasText: world.alice.id });
    const move = card.getByRole('button', {
      name: 'Kunde Alice Example auf einen anderen Server verschieben',
    });
    await expectFitsWidth(page, 'Kunden am Telefon', [move]);
    await browser.shot('01-customers');
    await move.click();
    const dialog = page.getByRole('dialog', {
      name: 'Kunde Alice Example auf einen anderen Server verschieben',
    });
    await dialog.getByRole('combobox', { name: 'Verschieben auf' }).click();
    await page.getByRole('option', { name: 'web2' }).click();
    await browser.shot('02-choose');
    await dialog.getByRole('button', { name: 'Weiter' }).click();
    const confirm = page.getByRole('dialog', { name: 'Alice Example auf web2 verschieben?' });
    await confirm.getByText(/Seine Repositories auf S3 oder FTP laufen weiter/).waitFor();
    await confirm.getByRole('button', { name: 'Verschieben', exact: true }).click();
    const refusal = confirm.getByRole('alert');
    await refusal.waitFor();
    assert.match(
      (await refusal.textContent()) ?? '',
      /Zeitplan „Alice nightly“ .* sichert in ein Verzeichnis auf Server local/,
    );
    assert.doesNotMatch((await refusal.textContent()) ?? '', /backs up to a directory/);
    await expectFitsWidth(page, 'die Ablehnung am Telefon', [
      confirm.getByRole('button', { name: 'Verschieben', exact: true }),
    ]);
    await browser.shot('03-refused');
    await expectAccessible(page, 'die Ablehnung des Verschiebens');
    assert.equal(await serverOf(world.alice.id), 'local');
  });
});
