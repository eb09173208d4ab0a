/**
 * Second copies and verified restores (issue 14) in a real browser against the real service: a
 * customer sets a second copy in the schedule form (to a real FTP server on this machine, which
 * the provider's HOSTVAULT_TARGET_ALLOW lets customers reach), is told in their own words what is
 * wrong first, runs the schedule, sees the copy job in History and the "Second copy" snapshot in
 * the Restore tab; after a restore drill of a snapshot the Restore tab shows "Last verified
 * restore: <date>" and the snapshot's Verified badge.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { queueDrill } from '../../src/drill/drill-planner.js';
import { startFtpServer, type FtpTestServer } from '../../test/support/ftp-server.js';
import {
  ensureBuilt,
  expectAccessible,
  expectFitsWidth,
  openBrowser,
  PHONE,
  signIn,
  startWorld,
  type Browser,
  type World,
} from './harness.js';

let world: World;
let ftp: FtpTestServer;
let browser: Browser;
let page: Page;

const JOB_TIMEOUT = 90_000;
const NAME = 'Web 3-2-1';
const text = async (locator: Locator) => (await locator.textContent()) ?? '';

before(async () => {
  ensureBuilt();
  ftp = await startFtpServer();
  world = await startWorld({
    uploadKiBs: 20_000,
    env: { HOSTVAULT_TARGET_ALLOW: '127.0.0.1/32' },
  });
  browser = await openBrowser('second-copy');
  page = browser.page;
});
after(async () => {
  await browser?.close();
  await world?.close();
  await ftp?.stop();
});

/** The newest job of `type`, once it finished. */
async function finishedJob(type: 'backup' | 'copy') {
  for (let i = 0; i < 900; i++) {
    const job = await world.service.app.store.db
      .selectFrom('jobs')
      .selectAll()
      .where('type', '=', type)
      .orderBy('id', 'desc')
      .executeTakeFirst();
    if (job && !['pending', 'running'].includes(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${type} job finished`);
}

/** The form's "Second copy" group, whose fields are named apart from the first target's. */
const copyGroup = (dialog: Locator) => dialog.getByRole('group', { name: 'Second copy' });

describe('a customer with a second copy', { timeout: 300_000 }, () => {
  test('sets a second copy in the schedule form; errors show beside their fields', async () => {
    await signIn(page, world.url, world.alice.username, world.alice.password);
    await page.getByRole('heading', { name: 'Backups', exact: true }).waitFor();
    await page.getByRole('button', { name: 'New Schedule' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New backup schedule' });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill(NAME);
    await dialog.getByRole('combobox', { name: 'Scope' }).selectOption('web');
    const copy = copyGroup(dialog);
    const kind = copy.getByRole('combobox', { name: 'Second copy to' });
    // The first target is the provider's storage: a customer's second copy goes elsewhere.
    const offered = await kind
      .locator('option')
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    assert.deepEqual(offered, ['none', 's3', 'ftp']);
    await kind.selectOption('ftp');
    await browser.shot('01-copy-form-empty');

    // No FTP server named: refused beside the copy's own field; the schedule itself is saved.
    await dialog.getByRole('button', { name: 'Create' }).click();
    const host = copy.getByRole('textbox', { name: 'FTP server' });
    await copy.locator('input[aria-invalid="true"]').first().waitFor();
    assert.equal(await host.getAttribute('aria-invalid'), 'true', 'the error sits at FTP server');

    await host.fill(ftp.host);
    await copy.getByRole('spinbutton', { name: 'Port' }).fill(String(ftp.port));
    await copy.getByRole('textbox', { name: 'User name' }).fill(ftp.user);
    await copy.locator('input[type="password"]').fill(ftp.password);
    await copy.getByRole('textbox', { name: 'Directory' }).fill('/alice-copy');
    // More than the package allows: the package's words, beside the copy's retention.
    const keep = copy.getByRole('spinbutton', { name: 'Snapshots the second copy keeps' });
    await keep.fill('9');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await copy.getByText('Your package allows at most 7 snapshots per schedule.').waitFor();
    assert.equal(await keep.getAttribute('aria-invalid'), 'true');
    await browser.shot('02-copy-form-refused');
    await expectAccessible(page, 'the schedule form with a second copy refused');

    await keep.fill('2');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'detached' });
    // One schedule: the tries after the first save edited it rather than making another.
    const rows = page.getByTestId('schedule-row').filter({ hasText: NAME });
    await rows.first().waitFor();
    assert.equal(await rows.count(), 1);
    assert.match(await text(rows.first()), /Second copy: FTP: 127\.0\.0\.1, keeps 2 snapshots/);
    const stored = await world.service.app.store.db
      .selectFrom('schedules')
      .select(['copy_target_id', 'copy_retention'])
      .where('name', '=', NAME)
      .execute();
    assert.equal(stored.length, 1);
    assert.ok(stored[0]!.copy_target_id !== null);
    assert.equal(stored[0]!.copy_retention, 2);

    // Edited again, the form shows the second copy as saved, its password masked.
    await page.getByRole('button', { name: `Edit ${NAME}` }).click();
    const edit = page.getByRole('dialog', { name: `Edit ${NAME}` });
    await edit.waitFor();
    assert.equal(
      await copyGroup(edit).getByRole('combobox', { name: 'Second copy to' }).inputValue(),
      'ftp',
    );
    assert.equal(
      await copyGroup(edit).getByRole('textbox', { name: 'FTP server' }).inputValue(),
      ftp.host,
    );
    await copyGroup(edit)
      .getByRole('combobox', { name: 'Second copy to' })
      .scrollIntoViewIfNeeded();
    await browser.shot('03-copy-form-desktop');
    await expectFitsWidth(page, 'the schedule form at 1024 px', [
      copyGroup(edit).getByRole('combobox', { name: 'Second copy to' }),
    ]);
    await edit.getByRole('button', { name: 'Cancel' }).click();
    await edit.waitFor({ state: 'detached' });
  });

  test('the form fits a phone', async () => {
    const phone = await openBrowser('second-copy-phone', PHONE);
    try {
      await signIn(phone.page, world.url, world.alice.username, world.alice.password);
      await phone.page.getByRole('button', { name: `Edit ${NAME}` }).click();
      const edit = phone.page.getByRole('dialog', { name: `Edit ${NAME}` });
      const kind = copyGroup(edit).getByRole('combobox', { name: 'Second copy to' });
      await kind.scrollIntoViewIfNeeded();
      await phone.shot('01-copy-form-phone');
      await expectFitsWidth(phone.page, 'the schedule form on a phone', [
        kind,
        copyGroup(edit).getByRole('textbox', { name: 'FTP server' }),
        copyGroup(edit).getByRole('spinbutton', { name: 'Snapshots the second copy keeps' }),
      ]);
    } finally {
      await phone.close();
    }
  });

  test('runs it: the copy job in History, the "Second copy" snapshot in the Restore tab', async () => {
    await page.getByRole('tab', { name: 'Schedules' }).click();
    await page.getByRole('button', { name: `Run now: ${NAME}` }).click();
    // The jobs as the service recorded them, with the log when one did not succeed.
    for (const type of ['backup', 'copy'] as const) {
      const job = await finishedJob(type);
      assert.equal(job.status, 'successful', `${type}: ${job.error}\n${job.log}`);
    }
    await page.getByRole('tab', { name: 'History' }).click();
    const done = page
      .locator('[data-testid="job-row"][data-status="successful"]')
      .filter({ hasText: NAME });
    // A backup's row names its schedule; the copy's carries its kind too.
    await done.filter({ hasText: 'Second copy' }).first().waitFor({ timeout: JOB_TIMEOUT });
    await done.filter({ hasNotText: 'Second copy' }).first().waitFor();
    await browser.shot('04-history-copy');

    await page.getByRole('tab', { name: 'Schedules' }).click();
    const row = page.getByTestId('schedule-row').filter({ hasText: NAME });
    await row.getByText(/Last copy: /).waitFor({ timeout: JOB_TIMEOUT });

    await page.getByRole('tab', { name: 'Restore' }).click();
    await page
      .getByRole('combobox', { name: 'Backup schedule' })
      .selectOption({ label: `${NAME} (Web)` });
    await page.getByRole('button', { name: 'Load Snapshots' }).click();
    const snapshots = page.getByTestId('snapshot-row');
    await snapshots.first().waitFor();
    const copies = snapshots.filter({ has: page.getByTestId('copy-badge') });
    await copies.first().waitFor();
    assert.equal(await snapshots.count(), 2, 'the backup and its second copy');
    assert.equal(await copies.count(), 1);
    assert.match(await text(copies.first()), /Second copy/);
    // The copy lies on the FTP server: restic's repository under the directory given.
    const inRepo = await world.service.app.store.db
      .selectFrom('snapshots')
      .select(['id', 'copy_of'])
      .where('copy_of', 'is not', null)
      .execute();
    assert.equal(inRepo.length, 1);
    await browser.shot('05-restore-copy');
    await expectAccessible(page, 'the Restore tab with a second copy');
  });

  test('after a restore drill the Restore tab shows the last verified restore and the badge', async () => {
    const app = world.service.app;
    assert.match(await text(page.getByTestId('last-verified')), /none yet/);
    const first = await app.store.db
      .selectFrom('snapshots')
      .selectAll()
      .where('customer_id', '=', world.alice.id)
      .where('copy_of', 'is', null)
      .where('kind', '=', 'backup')
      .executeTakeFirstOrThrow();
    const jobId = await queueDrill(
      { jobs: app.jobs },
      {
        snapshotId: first.id,
        repositoryId: first.repository_id,
        customerId: world.alice.id,
        reason: 'manual',
      },
    );
    assert.ok(jobId);
    app.worker.notify();
    let job = await app.jobs.get(jobId);
    for (let i = 0; i < 900 && job && ['pending', 'running'].includes(job.status); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      job = await app.jobs.get(jobId);
    }
    assert.equal(job?.status, 'successful', `${job?.error}\n${job?.log}`);

    // As the customer comes back to it: the page opened again, the Restore tab, the schedule.
    await page.reload();
    await page.getByRole('tab', { name: 'Restore' }).click();
    await page
      .getByRole('combobox', { name: 'Backup schedule' })
      .selectOption({ label: `${NAME} (Web)` });
    await page.getByRole('button', { name: 'Load Snapshots' }).click();
    const line = page.getByTestId('last-verified').filter({ hasNotText: 'none yet' });
    await line.waitFor();
    // The drill's date, as the page writes dates ("Today, 5:12 PM").
    assert.match(
      await text(line),
      /^Last verified restore: Today, \d{1,2}:\d\d [AP]M( GMT[+-]\d+)?$/,
    );
    const verified = page
      .getByTestId('snapshot-row')
      .filter({ hasText: first.id.slice(0, 8) })
      .getByTestId('verified-badge');
    await verified.waitFor();
    assert.match(await text(verified), /^Verified /);
    // Only the drilled snapshot carries the badge: its second copy was not drilled.
    assert.equal(await page.getByTestId('verified-badge').count(), 1);
    await browser.shot('06-restore-verified');
  });
});
