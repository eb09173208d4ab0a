/**
 * A customer whose browser asks for German gets the page in German: sign-in, a refusal of the
 * server in German words (by its code, from the catalog), Schedules with the time zone rule,
 * History with German dates and sizes, Restore; then switches to English with the header's
 * DE/EN switch, which a reload keeps.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import {
  ensureBuilt,
  expectAccessible,
  openBrowser,
  startWorld,
  type Browser,
  type World,
} from './harness.js';

let world: World;
let browser: Browser;
let page: Page;

before(async () => {
  ensureBuilt();
  world = await startWorld();
  browser = await openBrowser('german', undefined, 'de-DE');
  page = browser.page;
});
after(async () => {
  await browser?.close();
  await world?.close();
});

const text = async (locator: Locator) => (await locator.textContent()) ?? '';
const JOB_TIMEOUT = 60_000;

describe('a customer with a German browser', { timeout: 180_000 }, () => {
  test('signs in in German and is refused in German words', async () => {
    await page.goto(world.url);
    await page.getByRole('heading', { name: 'Bei Backups anmelden' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'de');
    await page.getByRole('textbox', { name: 'Benutzername' }).fill(world.alice.username);
    await page.getByRole('textbox', { name: 'Passwort' }).fill('nicht-das-passwort');
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'Benutzername oder Passwort ist falsch.' })
      .waitFor();
    await page.getByRole('textbox', { name: 'Passwort' }).fill(world.alice.password);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.getByRole('heading', { name: 'Backups', exact: true }).waitFor();
    await page.getByText('Noch keine Backup-Zeitpläne', { exact: true }).waitFor();
    await page.getByText(/Ihr Paket erlaubt Backups täglich, wöchentlich/).waitFor();
    // The one rule for time zones, with the viewer's zone (the harness's browser is in Berlin).
    await page
      .getByText(/Zeitpläne laufen nach UTC .*in Ihrer Zeitzone \(Europe\/Berlin\)/)
      .waitFor();
    await browser.shot('01-schedules-empty');
    await expectAccessible(page, 'Schedules in German');
  });

  test('is refused a frequency by the server in German, then creates a schedule', async () => {
    await page.getByRole('button', { name: 'Neuer Zeitplan' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Neuer Backup-Zeitplan' });
    await dialog.waitFor();
    // The provider takes weekly out of the package while the form is open.
    await world.service.app.inventory.upsertPackage({
      id: 'basic',
      name: 'Basic',
      frequencies: ['daily'],
      maxRetention: 7,
      maxSchedules: 3,
    });
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Nachts');
    const frequency = dialog.getByRole('combobox', { name: 'Häufigkeit' });
    await frequency.selectOption('weekly');
    await dialog.getByRole('combobox', { name: 'Wochentag' }).selectOption({ label: 'Samstag' });
    await dialog.getByRole('button', { name: 'Anlegen' }).click();
    await dialog
      .getByText('Ihr Paket enthält keine wöchentlichen Backups; verfügbar: täglich.')
      .waitFor();
    await browser.shot('02-frequency-refused');

    await frequency.selectOption('daily');
    await dialog.getByRole('spinbutton', { name: 'Aufbewahrung' }).fill('5');
    await dialog.getByRole('button', { name: 'Anlegen' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByTestId('schedule-row').filter({ hasText: 'Nachts' });
    await row.waitFor();
    assert.match(await text(row), /Täglich um 02:\d\d UTC/);
    assert.match(await text(row), /5 behalten/);
    assert.match(await text(row), /Noch nicht ausgeführt/);
  });

  test('runs it and reads History with German dates and sizes', async () => {
    await page.getByRole('button', { name: 'Jetzt ausführen: Nachts' }).click();
    await page.getByText(/Das Backup von „Nachts“ wurde gestartet/).waitFor();
    await page.getByRole('tab', { name: 'Verlauf' }).click();
    const job = page
      .locator('[data-testid="job-row"][data-status="successful"]')
      .filter({ hasText: 'Nachts' })
      .first();
    await job.waitFor({ timeout: JOB_TIMEOUT });
    const shown = await text(job);
    assert.match(shown, /Erfolgreich/);
    // 24-hour clock, and a decimal comma where a size has a fraction.
    assert.match(shown, /Heute, \d{2}:\d\d/);
    assert.doesNotMatch(shown, /[AP]M/);
    assert.match(shown, /\d+(,\d)? (B|KB|MB)/);
    assert.doesNotMatch(shown, /\d\.\d (KB|MB)/);
    await page.getByRole('columnheader', { name: 'Gestartet' }).waitFor();
    await browser.shot('03-history');
    await page.getByTestId('active-tasks').waitFor({ state: 'detached', timeout: JOB_TIMEOUT });
  });

  test('sees the snapshot on Restore in German', async () => {
    await page.getByRole('tab', { name: 'Wiederherstellen' }).click();
    await page
      .getByRole('combobox', { name: 'Backup-Zeitplan' })
      .selectOption({ label: 'Nachts (Vollständig)' });
    await page.getByRole('button', { name: 'Snapshots laden' }).click();
    const snapshot = page.getByTestId('snapshot-row').first();
    await snapshot.waitFor();
    assert.match(await text(snapshot), /Heute, \d{2}:\d\d/);
    await snapshot.getByRole('button', { name: 'Wiederherstellen' }).first().click();
    const dialog = page.getByRole('dialog', { name: /Wiederherstellen aus dem Snapshot/ });
    await dialog.waitFor();
    await dialog.getByText('Was möchten Sie wiederherstellen?').waitFor();
    await browser.shot('04-restore');
    await dialog.getByRole('button', { name: 'Abbrechen' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  test('switches to English, and a reload keeps it', async () => {
    await page.getByText('EN', { exact: true }).click();
    await page.getByRole('tab', { name: 'Restore' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    await page.getByRole('tab', { name: 'Schedules' }).click();
    const row = page.getByTestId('schedule-row').filter({ hasText: 'Nachts' });
    assert.match(await text(row), /Daily at 2:\d\d AM UTC/);
    await page.getByText(/Schedules run in UTC .*your time zone \(Europe\/Berlin\)/).waitFor();
    await page.reload();
    await page.getByRole('tab', { name: 'History' }).click();
    const job = page.getByTestId('job-row').filter({ hasText: 'Nachts' }).first();
    await job.waitFor();
    assert.match(await text(job), /Today, \d{1,2}:\d\d [AP]M/);
    await browser.shot('05-english');
  });
});
