/**
 * The admin area in a real browser: packages, every customer's schedules with the customer
 * filter, a server-wide schedule created, tested, run and seen in the jobs, and the repository
 * key downloaded as a file that opens the repository with plain restic, and the targets in use
 * with a connection test of a stored target, and the holds on snapshots with a release.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { createCurve, createUser } from '@nats-io/nkeys';
import { ServerRecords } from '../../src/fleet/server-records.js';
import {
  ensureBuilt,
  expectAccessible,
  openBrowser,
  signIn,
  startWorld,
  type Browser,
  type World,
} from './harness.js';

const run = promisify(execFile);

let world: World;
let browser: Browser;
let page: Page;

before(async () => {
  ensureBuilt();
  world = await startWorld();
  const { schedules } = world.service.app;
  for (const c of [world.alice, world.bob])
    await schedules.create({ role: 'customer', customerId: c.id }, c.id, {
      name: `${c === world.alice ? 'Alice' : 'Bob'} nightly`,
      scope: 'web',
      frequency: 'daily',
      retention: 3,
      target: { kind: 'local' },
    });
  browser = await openBrowser('admin');
  page = browser.page;
});
after(async () => {
  await browser?.close();
  await world?.close();
});

describe('an administrator in the admin area', { timeout: 180_000 }, () => {
  test('signs in and sees packages and every customer’s schedules, filtered by customer', async () => {
    await signIn(page, world.url, world.admin.username, world.admin.password);
    await page.getByRole('heading', { name: 'Backups: admin area' }).waitFor();
    await page.getByRole('tab', { name: 'Packages' }).click();
    const packages = page.getByRole('table', { name: 'Packages' });
    await packages.getByText('Basic', { exact: true }).waitFor();
    assert.match((await packages.textContent()) ?? '', /Daily, Weekly/);

    await page.getByRole('tab', { name: 'All schedules' }).click();
    const rows = page.getByTestId('schedule-row');
    await rows.filter({ hasText: 'Bob nightly' }).waitFor();
    assert.equal(await rows.count(), 2);
    await page.getByRole('combobox', { name: 'Customer' }).selectOption(world.alice.id);
    await rows.filter({ hasText: 'Bob nightly' }).waitFor({ state: 'detached' });
    assert.equal(await rows.count(), 1);
    assert.match((await rows.first().textContent()) ?? '', /Alice nightly/);
    await browser.shot('01-schedules-filtered');
    await expectAccessible(page, 'All schedules');
    await page.getByRole('tab', { name: 'Packages' }).click();
    await expectAccessible(page, 'Packages');
  });

  test('creates a server-wide schedule for the entire server, tests its target and runs it', async () => {
    await page.getByRole('tab', { name: 'Server-wide backups' }).click();
    await page.getByText('No server-wide schedules yet.').waitFor();
    await page.getByRole('button', { name: 'New server-wide schedule' }).click();
    const dialog = page.getByRole('dialog', { name: 'New server-wide schedule' });
    await dialog
      .getByRole('combobox', { name: 'Back up' })
      .selectOption({ label: 'Entire server' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Whole server');
    await dialog.getByRole('combobox', { name: 'Scope' }).selectOption('web');
    await dialog.getByRole('combobox', { name: 'Frequency' }).selectOption('hourly');
    await dialog.getByRole('spinbutton', { name: 'Retention' }).fill('24');
    // The provider may point a schedule at a vault: its address, user, password and CA.
    await dialog.getByText('Vault', { exact: true }).click();
    await dialog.getByRole('textbox', { name: 'Vault address' }).waitFor();
    await dialog.getByRole('textbox', { name: /Vault user/ }).waitFor();
    await dialog.getByLabel('Vault password').waitFor();
    await dialog.getByRole('textbox', { name: 'CA certificate of the vault (PEM)' }).waitFor();
    await expectAccessible(page, 'the schedule form with a vault target');
    await dialog
      .getByRole('radiogroup', { name: 'Target' })
      .getByText('Local', { exact: true })
      .click();
    await dialog
      .getByRole('textbox', { name: 'Directory on the server' })
      .fill(`${world.dir}/server-repositories`);
    await dialog.getByRole('button', { name: 'Test connection' }).click();
    await dialog.getByText(/The connection works/).waitFor({ timeout: 30_000 });
    // Each step says what it proved: a directory on this server has no login to accept.
    const proved = (await dialog.getByRole('status').textContent()) ?? '';
    assert.match(proved, /No login is needed for a directory on this server\./);
    assert.match(proved, /A test repository was written and read back\./);
    assert.doesNotMatch(proved, /signed in|accepted the login/);
    await browser.shot('02-server-schedule-form');
    await expectAccessible(page, 'the server-wide schedule form');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByTestId('schedule-row').filter({ hasText: 'Whole server' });
    await row.getByText('Entire server').waitFor();

    await page.getByRole('button', { name: 'Run now: Whole server' }).click();
    await page.getByTestId('active-tasks').getByText('Whole server').waitFor();
    await browser.shot('03-server-backup-running');
    await expectAccessible(page, 'Server-wide backups with the banner');
    await page.getByTestId('active-tasks').waitFor({ state: 'detached', timeout: 60_000 });
    await page.getByRole('tab', { name: 'All jobs' }).click();
    const job = page
      .locator('[data-testid="job-row"][data-status="successful"]')
      .filter({ hasText: 'Whole server' });
    await job.waitFor();
    assert.match((await job.textContent()) ?? '', /Server/);
    await browser.shot('04-all-jobs');
    await expectAccessible(page, 'All jobs');
  });

  test('downloads the repository key as a file that opens the repository with plain restic', async () => {
    await page.getByRole('tab', { name: 'Repository keys' }).click();
    await page.getByText(/Without the key there is no recovery/).waitFor();
    const row = page.getByTestId('repository-row').filter({ hasText: 'Entire server' });
    await row.waitFor();
    await browser.shot('05-keys');
    await expectAccessible(page, 'Repository keys');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('link', { name: /Download as file/ }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^hostvault-server\.key$/);
    const keyFile = await download.path();
    const url = (await row.getByTestId('repository-url').textContent()) ?? '';
    const { stdout } = await run('restic', [
      '-r',
      url,
      '--password-file',
      keyFile,
      'snapshots',
      '--json',
      '--no-lock',
    ]);
    const snapshots = JSON.parse(stdout) as { tags?: string[] }[];
    assert.ok(snapshots.length >= 2, 'one snapshot per customer of the whole-server backup');
  });
  test('sees the holds on snapshots and releases the provider’s hold', async () => {
    const { app } = world.service;
    const snapshot = await app.store.db
      .selectFrom('snapshots')
      .selectAll()
      .orderBy('time', 'asc')
      .executeTakeFirstOrThrow();
    await app.holds.hold(snapshot, { reason: 'Court order 4 O 123/26' });
    await page.getByRole('tab', { name: 'Holds' }).click();
    const row = page.getByTestId('hold-row').filter({ hasText: 'Court order 4 O 123/26' });
    await row.waitFor();
    assert.match(
      (await row.textContent()) ?? '',
      /Provider’s holdCourt order 4 O 123\/26Until released/,
    );
    await browser.shot('05b-holds');
    await expectAccessible(page, 'Holds');
    await row
      .getByRole('button', { name: `Release the hold on snapshot ${snapshot.id.slice(0, 8)}` })
      .click();
    await page.getByText('No snapshot is held.').waitFor();
    assert.deepEqual(await app.holds.list(), []);
  });

  test('lists the targets in use and tests the connection of a stored one', async () => {
    await page.getByRole('tab', { name: 'Targets' }).click();
    const table = page.getByRole('table', { name: 'Targets' });
    const rows = table.getByTestId('target-row');
    const server = rows.filter({ hasText: `${world.dir}/server-repositories` });
    await server.waitFor();
    assert.match((await server.textContent()) ?? '', /Whole server \(Entire server\)/);
    const customers = rows.filter({ hasText: 'Alice nightly' });
    assert.match((await customers.textContent()) ?? '', /Bob nightly/);
    assert.equal(await rows.count(), 2);
    await server.getByRole('button', { name: /Test connection/ }).click();
    await server.getByText(/The connection works/).waitFor({ timeout: 30_000 });
    await browser.shot('06-targets');
    await expectAccessible(page, 'Targets');

    // A target is edited through a schedule on it: the server's backups move to a new place.
    await server.getByRole('button', { name: 'Edit the target of Whole server' }).click();
    const form = page.getByRole('dialog').filter({ hasText: 'Directory on the server' });
    await form
      .getByRole('textbox', { name: 'Directory on the server' })
      .fill(`${world.dir}/server-repositories-2`);
    await form.getByRole('button', { name: /^Save/ }).click();
    await page.getByText('"Whole server" is saved.').waitFor();
    await rows.filter({ hasText: `${world.dir}/server-repositories-2` }).waitFor();
    await expectAccessible(page, 'Targets after an edit');
  });

  test('creates a package, edits it, is refused deleting one in use, deletes the new one', async () => {
    await page.getByRole('tab', { name: 'Packages' }).click();
    await page.getByRole('button', { name: 'New package' }).click();
    const form = page.getByRole('dialog', { name: 'New package' });
    await form.getByRole('textbox', { name: 'Package ID' }).fill('gold');
    await form.getByRole('textbox', { name: 'Name' }).fill('Gold');
    await form.getByRole('checkbox', { name: 'Hourly' }).check();
    await form.getByLabel('Most snapshots per schedule').fill('2.5');
    await form.getByRole('button', { name: 'Save package' }).click();
    // A fraction is refused beside its field and nothing is sent.
    await form.getByText('Enter a whole number').waitFor();
    await form.getByLabel('Most snapshots per schedule').fill('30');
    await form.getByRole('button', { name: 'Save package' }).click();
    await page.getByText('Package Gold has been saved.').waitFor();
    const gold = page.getByTestId('package-row').filter({ hasText: 'gold' });
    assert.match((await gold.textContent()) ?? '', /Hourly, Daily/);
    assert.match((await gold.textContent()) ?? '', /30/);
    await expectAccessible(page, 'Packages with a new one');

    await gold.getByRole('button', { name: 'Edit package Gold' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit package Gold' });
    await edit.getByRole('textbox', { name: 'Name' }).fill('Gold plus');
    await edit.getByRole('button', { name: 'Save package' }).click();
    await page.getByText('Package Gold plus has been saved.').waitFor();
    const stored = await world.service.app.inventory.getPackage('gold');
    assert.equal(stored?.name, 'Gold plus');
    assert.equal(stored?.maxRetention, 30);

    const basic = page.getByTestId('package-row').filter({ hasText: 'basic' });
    await basic.getByRole('button', { name: 'Delete package Basic' }).click();
    const refuse = page.getByRole('dialog', { name: 'Delete package Basic?' });
    await refuse.getByRole('button', { name: 'Delete' }).click();
    await refuse.getByText(/used by 2 customers/).waitFor();
    await browser.shot('09-package-in-use');
    await refuse.getByRole('button', { name: 'Cancel' }).click();
    assert.ok(await world.service.app.inventory.getPackage('basic'), 'nothing deleted');

    await gold.getByRole('button', { name: 'Delete package Gold plus' }).click();
    await page
      .getByRole('dialog', { name: 'Delete package Gold plus?' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await page.getByText('Package Gold plus has been deleted.').waitFor();
    assert.equal(await world.service.app.inventory.getPackage('gold'), undefined);
  });

  test("edits a customer's contact and is refused a web root that does not exist", async () => {
    await page.getByRole('tab', { name: 'Customers' }).click();
    const row = page.getByTestId('customer-row').filter({ hasText: world.alice.id });
    await row.getByRole('button', { name: 'Edit customer Alice Example' }).click();
    const form = page.getByRole('dialog', { name: 'Edit customer Alice Example' });
    const webRoot = form.getByRole('textbox', { name: 'Web root' });
    const before = await webRoot.inputValue();
    await webRoot.fill(`${before}-nowhere`);
    await form.getByRole('textbox', { name: 'Contact e-mail' }).fill('alice@example.org');
    await form.getByRole('button', { name: 'Save customer' }).click();
    await form.getByText(/does not exist|not a directory|no such/i).waitFor();
    assert.equal(
      (await world.service.app.inventory.getCustomer(world.alice.id))?.contactEmail,
      undefined,
    );
    await browser.shot('10-customer-refused');
    await expectAccessible(page, 'customer form with a refusal');
    await webRoot.fill(before);
    await form.getByRole('button', { name: 'Save customer' }).click();
    await page.getByText('Customer Alice Example has been saved.').waitFor();
    const stored = await world.service.app.inventory.getCustomer(world.alice.id);
    assert.equal(stored?.contactEmail, 'alice@example.org');
    assert.equal(stored?.webRoot, before);
    assert.match((await row.textContent()) ?? '', /alice@example\.org/);
    await expectAccessible(page, 'Customers');
  });

  test('creates a user, sets its password, deletes it; makes a read-only API token and revokes it', async () => {
    await page.getByRole('tab', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'New user' }).click();
    const form = page.getByRole('dialog', { name: 'New user' });
    await form.getByRole('textbox', { name: 'User name' }).fill('carol-web');
    await form.getByRole('combobox', { name: 'Customer' }).click();
    await page.getByRole('option', { name: new RegExp(`\\(${world.alice.id}\\)`) }).click();
    await form.locator('input[autocomplete="new-password"]').fill('short');
    await form.getByRole('button', { name: 'Create user' }).click();
    // Refused beside its field; nothing made.
    await form.getByText(/at least 12 characters/).waitFor();
    await form.locator('input[autocomplete="new-password"]').fill('a long enough passphrase');
    await form.getByRole('button', { name: 'Create user' }).click();
    await page.getByText('User carol-web has been created.').waitFor();
    const row = page.getByTestId('user-row').filter({ hasText: 'carol-web' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', new RegExp(world.alice.id));
    await browser.shot('07-users');
    await expectAccessible(page, 'Users');

    await row.getByRole('button', { name: 'Set password for carol-web' }).click();
    const reset = page.getByRole('dialog', { name: 'New password for carol-web' });
    await reset.locator('input[autocomplete="new-password"]').fill('another long passphrase');
    await reset.getByRole('button', { name: 'Set password' }).click();
    await page.getByText('The password of carol-web has been set.').waitFor();
    const verified = await world.service.app.store.db
      .selectFrom('users')
      .select('username')
      .where('username', '=', 'carol-web')
      .executeTakeFirst();
    assert.ok(verified);

    await row.getByRole('button', { name: 'Delete user carol-web' }).click();
    await page
      .getByRole('dialog', { name: 'Delete user carol-web?' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await page.getByText('User carol-web has been deleted.').waitFor();
    await row.waitFor({ state: 'detached' });

    await page.getByRole('tab', { name: 'API tokens' }).click();
    await page.getByRole('button', { name: 'New API token' }).click();
    const tokenForm = page.getByRole('dialog', { name: 'New API token' });
    await tokenForm.getByRole('textbox', { name: 'Name' }).fill('Status page');
    await tokenForm.getByRole('button', { name: 'Create token' }).click();
    const token = (await tokenForm.getByTestId('new-token').textContent())?.trim() ?? '';
    assert.match(token, /\S{20,}/);
    await browser.shot('08-token-shown-once');
    // It reads, and it may not change anything.
    const read = await fetch(`${world.url}/api/admin/users`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(read.status, 200);
    const write = await fetch(`${world.url}/api/admin/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', role: 'admin' }),
    });
    assert.equal(write.status, 403);
    await tokenForm.getByRole('button', { name: 'Done' }).click();
    const tokenRow = page.getByTestId('token-row').filter({ hasText: 'Status page' });
    assert.match((await tokenRow.textContent()) ?? '', /Only read/);
    await expectAccessible(page, 'API tokens');
    await tokenRow.getByRole('button', { name: 'Revoke token Status page' }).click();
    await page
      .getByRole('dialog', { name: 'Revoke token Status page?' })
      .getByRole('button', { name: 'Revoke' })
      .click();
    await page.getByText('Token Status page has been revoked.').waitFor();
    const after = await fetch(`${world.url}/api/admin/users`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(after.status, 401);
  });

  test('changes its own password from the header', async () => {
    await page.getByRole('button', { name: 'Change password' }).click();
    const dialog = page.getByRole('dialog', { name: 'Change password' });
    await dialog.locator('input[autocomplete="current-password"]').fill(world.admin.password);
    await dialog
      .locator('input[autocomplete="new-password"]')
      .first()
      .fill('the admin passphrase 2');
    await dialog
      .locator('input[autocomplete="new-password"]')
      .last()
      .fill('the admin passphrase 2');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.getByText('Your password has been changed.').waitFor();
    await expectAccessible(page, 'password changed');
    await dialog.getByRole('button', { name: 'Done' }).click();
    // Still signed in: the session that changed it stays.
    await page.getByRole('tab', { name: 'API tokens' }).click();
    await page.getByRole('button', { name: 'New API token' }).waitFor();
  });
});

describe('the Servers panel', { timeout: 120_000 }, () => {
  test('shows this service’s one server online, and makes an enrollment token shown once', async () => {
    await page.getByRole('tab', { name: 'Servers' }).click();
    const table = page.getByRole('table', { name: 'Servers' });
    const local = table.locator('[data-server="local"]');
    await local.waitFor();
    assert.match((await local.textContent()) ?? '', /this server/);
    assert.equal(await local.getByTestId('server-online').textContent(), 'Online');
    assert.match((await local.textContent()) ?? '', /restic \d+\.\d+/);
    // No action on the implicit server: nothing to drain or revoke in `hostvault serve`.
    assert.equal(await local.getByRole('button').count(), 0);

    await page.getByRole('textbox', { name: 'Server name' }).fill('web.1');
    await page.getByRole('button', { name: 'Create enrollment token' }).click();
    await page
      .getByText(/it may only hold lowercase letters, digits, "-" and "_", not a dot/)
      .waitFor();
    await page.getByRole('textbox', { name: 'Server name' }).fill('web7');
    await page.getByRole('button', { name: 'Create enrollment token' }).click();
    const token = page.getByTestId('enrollment-token');
    await token.waitFor();
    assert.match(
      (await token.textContent()) ?? '',
      /hostvault agent enroll --controller http:\/\/127\.0\.0\.1:\d+ --token hvenroll_\S+/,
    );
    const web7 = table.locator('[data-server="web7"]');
    await web7.waitFor();
    assert.equal(await web7.getByTestId('server-state').textContent(), 'Awaiting enrollment');
    assert.equal(await web7.getByTestId('server-online').textContent(), 'Offline');
    await browser.shot('07-servers');
    await expectAccessible(page, 'Servers');
  });

  test('marks a server whose requests go unsealed (enrolled before sealing)', async () => {
    const records = new ServerRecords(world.service.app.store);
    const old = await records.createEnrollment({ server: 'web5', createdBy: 'test' });
    await records.enroll({ token: old.token, nkey: createUser().getPublicKey() });
    const now = await records.createEnrollment({ server: 'web6', createdBy: 'test' });
    await records.enroll({
      token: now.token,
      nkey: createUser().getPublicKey(),
      curveKey: createCurve().getPublicKey(),
    });
    await page.reload();
    await page.getByRole('tab', { name: 'Servers' }).click();
    const table = page.getByRole('table', { name: 'Servers' });
    const web5 = table.locator('[data-server="web5"]');
    await web5.waitFor();
    const badge = web5.getByTestId('server-unsealed');
    assert.equal(await badge.textContent(), 'Unsealed');
    assert.match((await badge.getAttribute('title')) ?? '', /Enroll it again/);
    assert.equal(
      await table.locator('[data-server="web6"]').getByTestId('server-unsealed').count(),
      0,
    );
    assert.equal(
      await table.locator('[data-server="local"]').getByTestId('server-unsealed').count(),
      0,
    );
    await expectAccessible(page, 'Servers, unsealed');
    // Out of the way of the tests that follow.
    await records.revoke('web5');
    await records.revoke('web6');
  });

  test('recovers a revoked server onto another one, with a report', async () => {
    // web8 enrolled, then revoked: as a server that was lost (no customers on it here).
    const records = new ServerRecords(world.service.app.store);
    const { token } = await records.createEnrollment({ server: 'web8', createdBy: 'test' });
    await records.enroll({ token, nkey: createUser().getPublicKey() });
    await records.revoke('web8');
    await page.reload();
    await page.getByRole('tab', { name: 'Servers' }).click();
    const web8 = page.getByRole('table', { name: 'Servers' }).locator('[data-server="web8"]');
    await web8.getByRole('button', { name: 'Recover web8 onto another server' }).click();
    const dialog = page.getByRole('dialog', { name: 'Recover web8 onto another server' });
    await dialog.getByText(/Every customer of web8 is moved/).waitFor();
    const submit = dialog.getByRole('button', { name: 'Recover' });
    assert.equal(await submit.isDisabled(), true, 'no server chosen yet');
    await dialog.getByRole('combobox', { name: 'Restore onto' }).click();
    await page.getByRole('option', { name: 'local' }).click();
    await submit.click();
    const report = page.getByTestId('recovery-report');
    await report.waitFor();
    assert.match((await report.textContent()) ?? '', /Recovery of web8 onto local/);
    assert.match((await report.textContent()) ?? '', /The server had no customers/);
    await expectAccessible(page, 'Servers, recovery report');
  });

  test('at phone size shows each server as a card', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const list = page.getByRole('list', { name: 'Servers' });
    await list.waitFor();
    assert.equal(await page.getByRole('table', { name: 'Servers' }).count(), 0);
    const web7 = list.locator('[data-server="web7"]');
    assert.match((await web7.textContent()) ?? '', /Awaiting enrollment/);
    await browser.shot('08-servers-phone');
    await page.setViewportSize({ width: 1024, height: 800 });
  });
});
