/**
 * Limits early and failures in place: a retention of "2.5" is refused with its field marked and
 * nothing sent; a session that ends while the schedule form is open signs in again in a dialog
 * and the kept input is then saved; at the package's limit New Schedule is off with the reason;
 * with the API unreachable and nothing running the banner warns, and the warning goes once the
 * API answers again. Then the changed views in German on a phone, and the customer's log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  ensureBuilt,
  expectAccessible,
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

/** A call to the API from the signed-in page `on`, with its CSRF token. */
async function callApi(on: Page, path: string, method = 'GET', body?: unknown): Promise<any> {
  return on.evaluate(
    async ({ path, method, body }) => {
      const session = (await (await fetch('/api/session')).json()) as { csrfToken: string };
      const response = await fetch(path, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          'x-csrf-token': session.csrfToken,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (await response.json()) as unknown;
    },
    { path, method, body },
  );
}

const schedule = (name: string) => ({
  name,
  scope: 'web',
  frequency: 'daily',
  retention: 3,
  target: { kind: 'local' },
});

before(async () => {
  ensureBuilt();
  world = await startWorld({ uploadKiBs: 20_000 });
  browser = await openBrowser('forms', { width: 1366, height: 900 });
  page = browser.page;
});
after(async () => {
  await browser?.close();
  await world?.close();
});

describe('forms that keep what was typed, and limits shown early', { timeout: 180_000 }, () => {
  test('a retention of 2.5 is refused with its field marked, not sent as 2', async () => {
    await signIn(page, world.url, world.alice.username, world.alice.password);
    await page.getByRole('button', { name: 'New Schedule' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New backup schedule' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Kept through a new sign-in');
    const retention = dialog.getByRole('spinbutton', { name: 'Retention' });
    await retention.fill('2.5');
    await dialog.getByText('Enter a whole number, such as 7.').waitFor();
    assert.equal(await retention.getAttribute('aria-invalid'), 'true');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.getByText('Please check the highlighted fields.').waitFor();
    assert.equal(await retention.inputValue(), '2.5', 'the field keeps what was typed');
    await browser.shot('retention-refused');
    assert.equal((await callApi(page, '/api/schedules')).schedules?.length ?? 0, 0);
    await retention.fill('3');
    assert.notEqual(await retention.getAttribute('aria-invalid'), 'true', 'a whole number is fine');
  });

  test('a session that ends while the form is open signs in again in place; then it saves', async () => {
    await world.service.app.store.db.deleteFrom('sessions').execute();
    const form = page.getByRole('dialog', { name: 'New backup schedule' });
    await form.getByRole('button', { name: 'Create' }).click();
    const again = page.getByRole('dialog', { name: 'Please sign in again' });
    await again.waitFor();
    await form.getByText('Please sign in.').waitFor();
    await expectAccessible(page, 'the sign-in-again dialog');
    await browser.shot('session-ended');
    assert.equal(
      await form.getByRole('textbox', { name: 'Name' }).inputValue(),
      'Kept through a new sign-in',
    );
    assert.equal(
      await again.getByRole('textbox', { name: 'User name' }).inputValue(),
      world.alice.username,
    );
    await again.getByRole('textbox', { name: 'Password' }).fill(world.alice.password);
    await again.getByRole('button', { name: 'Sign in' }).click();
    await again.waitFor({ state: 'hidden' });
    // The refusal the form met while the session was gone is no longer true: it goes.
    await form.getByText('Please sign in.').waitFor({ state: 'detached' });
    await browser.shot('session-signed-in-again');
    assert.equal(await form.getByRole('spinbutton', { name: 'Retention' }).inputValue(), '3');
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByText('"Kept through a new sign-in" is created.').waitFor();
    const saved = await callApi(page, '/api/schedules');
    const names = (saved.schedules ?? saved).map((s: { name: string }) => s.name);
    assert.deepEqual(names, ['Kept through a new sign-in']);
  });

  test('at the package limit New Schedule is off, with the reason beside it', async () => {
    await callApi(page, '/api/schedules', 'POST', schedule('Second'));
    // Weekly on Mondays at 23:xx UTC: Tuesdays just after midnight in Berlin, the browser's zone.
    await callApi(page, '/api/schedules', 'POST', {
      ...schedule('Third'),
      frequency: 'weekly',
      day: 1,
      hour: 23,
    });
    await page.reload();
    await page.getByTestId('schedule-row').nth(2).waitFor();
    const reason = page.getByTestId('schedules-at-limit');
    await reason.waitFor();
    assert.match((await reason.textContent()) ?? '', /You have 3 of 3 schedules/);
    assert.equal(await page.getByRole('button', { name: 'New Schedule' }).isDisabled(), true);
    // A weekly schedule's day is UTC's, said so, with the viewer's own day and time beside it.
    assert.match(
      (await page.getByTestId('schedule-row').filter({ hasText: 'Third' }).textContent()) ?? '',
      /Mondays at 11:\d\d PM UTC \(for you: Tuesdays at 12:\d\d AM (GMT\+1|CET)\)/,
    );
    await expectAccessible(page, 'Schedules at the package limit');
    await browser.shot('at-limit');
  });

  test('with the API unreachable and nothing running the banner warns, until it answers', async () => {
    assert.equal(await page.getByTestId('active-task').count(), 0, 'nothing runs');
    await page.route('**/api/**', (route) => route.abort('internetdisconnected'));
    const warning = page.getByTestId('poll-warning');
    await warning.waitFor({ timeout: 15_000 });
    assert.match((await warning.textContent()) ?? '', /could not be refreshed/);
    await browser.shot('poll-warning');
    await page.unroute('**/api/**');
    await warning.waitFor({ state: 'hidden', timeout: 15_000 });
  });

  test('in German on a phone: the views, and a backup log in plain words', async () => {
    const list = await callApi(page, '/api/schedules');
    const first = (list.schedules ?? list)[0];
    const run = await callApi(page, `/api/schedules/${first.id}/run`, 'POST');
    for (let i = 0; ; i++) {
      const job = await callApi(page, `/api/jobs/${run.jobId}`);
      if (job.status === 'successful') break;
      assert.ok(i < 120 && job.status !== 'failed', JSON.stringify(job).slice(0, 400));
      await page.waitForTimeout(500);
    }
    const phone = await openBrowser('forms-de-phone', PHONE, 'de-DE');
    try {
      const p = phone.page;
      await p.goto(world.url);
      await p.getByRole('textbox', { name: 'Benutzername' }).fill(world.alice.username);
      await p.getByRole('textbox', { name: 'Passwort' }).fill(world.alice.password);
      await p.getByRole('button', { name: 'Anmelden' }).click();
      await p.getByTestId('schedules-at-limit').waitFor();
      assert.match((await p.getByTestId('schedules-at-limit').textContent()) ?? '', /3 von 3/);
      await phone.shot('schedules');
      await p.getByRole('tab', { name: 'Verlauf' }).click();
      await p
        .getByRole('button', { name: /^Details zu/ })
        .first()
        .click();
      const steps = p.getByTestId('job-steps');
      await steps.waitFor();
      const words = (await steps.textContent()) ?? '';
      assert.match(words, /Backup gestartet/);
      assert.match(words, /Dateien \([\d,]+ (MB|kB|KB)\): \d+ neu/);
      assert.match(words, /Backup erfolgreich abgeschlossen/);
      assert.doesNotMatch(words, /restic|MiB|snapshot [0-9a-f]{8}/);
      assert.match((await p.getByTestId('job-detail').textContent()) ?? '', /MEZ/);
      await phone.shot('job-detail');
    } finally {
      await phone.close();
    }
    // The same views at the other size in each language, for review.
    for (const [prefix, viewport, locale] of [
      ['forms-de-desktop', { width: 1366, height: 900 }, 'de-DE'],
      ['forms-en-phone', PHONE, 'en-US'],
    ] as const) {
      const other = await openBrowser(prefix, viewport, locale);
      try {
        const p = other.page;
        if (locale === 'en-US')
          await signIn(p, world.url, world.alice.username, world.alice.password);
        else {
          await p.goto(world.url);
          await p.getByRole('textbox', { name: 'Benutzername' }).fill(world.alice.username);
          await p.getByRole('textbox', { name: 'Passwort' }).fill(world.alice.password);
          await p.getByRole('button', { name: 'Anmelden' }).click();
        }
        await p.getByTestId('schedules-at-limit').waitFor();
        await other.shot('schedules');
        await p.getByRole('tab', { name: locale === 'de-DE' ? 'Verlauf' : 'History' }).click();
        await p
          .getByRole('button', { name: locale === 'de-DE' ? /^Details zu/ : /^Details of/ })
          .first()
          .click();
        await p.getByTestId('job-steps').waitFor();
        await expectAccessible(p, `${prefix}: the job detail`);
        await other.shot('job-detail');
      } finally {
        await other.close();
      }
    }
  });
});
