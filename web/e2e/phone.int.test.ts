/**
 * The Backups page on a 390×844 phone: no view scrolls sideways, the buttons a customer needs
 * (New Schedule, Run now, the banner's Cancel, Restore, Browse Files, Download) are shown whole,
 * and axe finds nothing serious or critical at this size either. On the way, what the phone
 * downloads: compressed scripts, and never the admin area's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
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
let browser: Browser;
let page: Page;
const scripts: { url: string; encoding: string | undefined }[] = [];

before(async () => {
  ensureBuilt();
  world = await startWorld();
  await world.service.app.schedules.create(
    { role: 'customer', customerId: world.alice.id },
    world.alice.id,
    { name: 'Nightly', scope: 'full', frequency: 'daily', retention: 5, target: { kind: 'local' } },
  );
  browser = await openBrowser('phone', PHONE);
  page = browser.page;
  page.on('response', (response) => {
    if (/\/assets\/.*\.js$/.test(response.url()))
      scripts.push({ url: response.url(), encoding: response.headers()['content-encoding'] });
  });
});
after(async () => {
  await browser?.close();
  await world?.close();
});

const JOB_TIMEOUT = 60_000;

describe('a customer on a phone', { timeout: 180_000 }, () => {
  test('signs in on a page that fits, downloaded compressed and without the admin area', async () => {
    await page.goto(world.url);
    const submit = page.getByRole('button', { name: 'Sign in' });
    await submit.waitFor();
    await expectFitsWidth(page, 'the sign-in page', [submit]);
    await expectAccessible(page, 'the sign-in page on a phone');
    await browser.shot('01-sign-in');
    await signIn(page, world.url, world.alice.username, world.alice.password);
    await page.getByRole('heading', { name: 'Backups', exact: true }).waitFor();
    await page.getByTestId('schedule-row').waitFor();
    assert.ok(scripts.length >= 2, 'the entry and the Backups page chunk');
    for (const s of scripts) assert.match(s.encoding ?? 'none', /^(br|gzip)$/, s.url);
    assert.deepEqual(
      scripts.filter((s) => /AdminPage/.test(s.url)),
      [],
      'a customer never downloads the admin area',
    );
  });

  test('Schedules: cards instead of a table, New Schedule and Run now whole', async () => {
    const card = page.getByTestId('schedule-row').filter({ hasText: 'Nightly' });
    assert.equal(await page.getByRole('table').count(), 0, 'no table on a phone');
    assert.match((await card.textContent()) ?? '', /Daily at 2:\d\d AM UTC/);
    await expectFitsWidth(page, 'Schedules', [
      page.getByRole('button', { name: 'New Schedule' }),
      page.getByRole('button', { name: 'Run now: Nightly' }),
      page.getByRole('button', { name: 'Edit Nightly' }),
      page.getByRole('button', { name: 'Delete Nightly' }),
    ]);
    await expectAccessible(page, 'Schedules on a phone');
    await browser.shot('02-schedules');
  });

  test('runs a backup: the banner with Cancel fits', async () => {
    await page.getByRole('button', { name: 'Run now: Nightly' }).click();
    const banner = page.getByTestId('active-tasks');
    await banner.waitFor();
    await expectFitsWidth(page, 'Schedules with the banner', [
      banner.getByRole('button', { name: 'Cancel Nightly' }),
    ]);
    await expectAccessible(page, 'the banner on a phone');
    await browser.shot('03-banner');
    await banner.waitFor({ state: 'detached', timeout: JOB_TIMEOUT });
  });

  test('History: the job card shows its status and details button', async () => {
    await page.getByRole('tab', { name: 'History' }).click();
    const card = page
      .locator('[data-testid="job-row"][data-status="successful"]')
      .filter({ hasText: 'Nightly' });
    await card.waitFor({ timeout: JOB_TIMEOUT });
    await expectFitsWidth(page, 'History', [
      card.getByText('Successful'),
      card.getByRole('button', { name: 'Details of Nightly' }),
    ]);
    await expectAccessible(page, 'History on a phone');
    await browser.shot('04-history');
  });

  test('Restore and the file browser: Restore, Browse Files and Download whole', async () => {
    await page.getByRole('tab', { name: 'Restore' }).click();
    await page
      .getByRole('combobox', { name: 'Backup schedule' })
      .selectOption({ label: 'Nightly (Full)' });
    await page.getByRole('button', { name: 'Load Snapshots' }).click();
    const card = page.getByTestId('snapshot-row').first();
    await card.waitFor();
    const browse = card.getByRole('button', { name: /^Browse files of the snapshot from/ });
    await expectFitsWidth(page, 'Restore', [
      page.getByRole('button', { name: 'Load Snapshots' }),
      card.getByRole('button', { name: /^Restore from the snapshot from/ }),
      browse,
    ]);
    await expectAccessible(page, 'Restore on a phone');
    await browser.shot('05-restore');

    await browse.click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Open folder Web files' }).click();
    await dialog.getByRole('button', { name: 'Open folder media' }).click();
    const file = dialog.getByTestId('browse-row').filter({ hasText: 'photo-0.jpg' });
    await file.waitFor();
    await expectFitsWidth(page, 'the file browser', [
      file.getByRole('button', { name: 'Restore photo-0.jpg' }),
      file.getByRole('link', { name: 'Download photo-0.jpg' }),
      dialog.getByRole('button', { name: 'Close dialog' }),
    ]);
    await expectAccessible(page, 'the file browser on a phone');
    await browser.shot('06-browse');
  });
  test('before the app arrives, the page’s plain sign-in form is usable; a submit waits for it', async () => {
    const slow = await openBrowser('phone-plain', PHONE);
    try {
      const p = slow.page;
      // The app's scripts are held back until the form was sent: what a slow line shows first.
      let release = () => undefined as void;
      const held = new Promise<void>((resolve) => (release = resolve));
      await p.route('**/assets/*.js', async (route) => {
        await held;
        await route.continue();
      });
      // Not until "load": that waits for the held scripts.
      await p.goto(world.url, { waitUntil: 'commit' });
      const submit = p.getByRole('button', { name: 'Sign in' });
      await submit.waitFor();
      assert.equal(await p.locator('#hv-sign-in').count(), 1, 'the plain form shows');
      await expectFitsWidth(p, 'the plain sign-in form', [submit]);
      await expectAccessible(p, 'the plain sign-in form');
      await slow.shot('01-plain-sign-in');
      await p.getByRole('button', { name: 'DE', exact: true }).click();
      await p.getByRole('heading', { name: 'Bei Backups anmelden' }).waitFor();
      assert.equal(await p.locator('html').getAttribute('lang'), 'de');
      await p.getByRole('textbox', { name: 'Benutzername' }).fill(world.alice.username);
      await p.getByRole('textbox', { name: 'Passwort' }).fill(world.alice.password);
      await expectAccessible(p, 'the plain sign-in form in German');
      await slow.shot('02-plain-sign-in-de');
      await p.getByRole('button', { name: 'Anmelden' }).click();
      release();
      // The app takes the form over with what was typed and sends it, in the chosen language.
      await p.getByRole('tab', { name: 'Zeitpläne' }).waitFor({ timeout: JOB_TIMEOUT });
      assert.equal(await p.locator('#hv-sign-in').count(), 0, 'the plain form is gone');
    } finally {
      await slow.close();
    }
  });
});
