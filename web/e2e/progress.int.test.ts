/**
 * A restore that takes several seconds (restic's reads from the repository throttled by the
 * harness) shows its progress moving in the banner: percent, bytes and files, at least two
 * different values while it runs. When it ends, the note under the Restore tab says it finished
 * and links to its History entry, and the banner names it below until dismissed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  ensureBuilt,
  expectAccessible,
  openBrowser,
  signIn,
  startWorld,
  type Browser,
  type World,
} from './harness.js';

let world: World;
let browser: Browser;
let page: Page;

/** A call to the API from the signed-in page, with its CSRF token. */
async function callApi(path: string, method = 'GET', body?: unknown): Promise<any> {
  return page.evaluate(
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

before(async () => {
  ensureBuilt();
  // Backups go fast; restores read the repository at 2.5 MB/s, so ~25 MB take about 10 s.
  world = await startWorld({ uploadKiBs: 200_000, downloadKiBs: 2500 });
  const big = join(world.alice.webRoot, 'big');
  await mkdir(big);
  for (let i = 0; i < 10; i++) await writeFile(join(big, `part-${i}.bin`), randomBytes(2_000_000));
  browser = await openBrowser('progress', { width: 1366, height: 900 });
  page = browser.page;
});
after(async () => {
  await browser?.close();
  await world?.close();
});

describe('a restore of several seconds', { timeout: 150_000 }, () => {
  test('shows its progress moving, then that it finished, with a link to History', async () => {
    await signIn(page, world.url, world.alice.username, world.alice.password);
    await page.getByRole('heading', { name: 'Backups', exact: true }).waitFor();
    const created = await callApi('/api/schedules', 'POST', {
      name: 'Web only',
      scope: 'web',
      frequency: 'daily',
      retention: 3,
      target: { kind: 'local' },
    });
    const run = await callApi(`/api/schedules/${created.id}/run`, 'POST');
    for (let i = 0; ; i++) {
      const job = await callApi(`/api/jobs/${run.jobId}`);
      if (job.status === 'successful') break;
      assert.ok(!['failed', 'canceled'].includes(job.status), JSON.stringify(job.error));
      assert.ok(
        i < 120,
        `the backup finished within a minute: ${JSON.stringify([created, run, job]).slice(0, 600)}`,
      );
      await page.waitForTimeout(500);
    }

    await page.getByRole('tab', { name: 'Restore' }).click();
    await page
      .getByRole('combobox', { name: 'Backup schedule' })
      .selectOption({ label: 'Web only (Web)' });
    await page.getByRole('button', { name: 'Load Snapshots' }).click();
    await page
      .getByRole('button', { name: /^Restore from the snapshot from Today/ })
      .first()
      .click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('radio', { name: /Web files/ }).check();
    await dialog.getByRole('button', { name: 'Next' }).click();
    await dialog.getByRole('button', { name: 'Restore now' }).click();
    await page.getByText(/The restore has started/).waitFor();

    // What the banner shows while the restore runs, every 200 ms.
    const seen = new Set<string>();
    const started = Date.now();
    const task = page.getByTestId('active-task');
    let shot = false;
    while (Date.now() - started < 90_000) {
      const state = await task
        .first()
        .evaluate((el) => ({
          status: el.getAttribute('data-status'),
          percent: el.querySelector('[data-testid="task-percent"]')?.textContent ?? null,
          amounts: el.querySelector('[data-testid="task-amounts"]')?.textContent ?? null,
        }))
        .catch(() => null);
      if (!state) {
        if (seen.size > 0) break; // it has left the banner
      } else if (state.status === 'running' && state.percent !== null) {
        seen.add(`${state.percent} | ${state.amounts ?? ''}`);
        if (!shot && state.amounts) {
          await browser.shot('restore-running');
          shot = true;
        }
      }
      await page.waitForTimeout(200);
    }
    const values = [...seen];
    console.log(`banner values seen while the restore ran: ${JSON.stringify(values)}`);
    assert.ok(values.length >= 2, `progress seen moving: ${JSON.stringify(values)}`);
    assert.ok(
      values.some((v) => /MB of [\d.]+ MB · \d+ of \d+ files/.test(v)),
      `bytes and files shown: ${JSON.stringify(values)}`,
    );
    const percents = new Set(values.map((v) => v.split(' | ')[0]));
    assert.ok(percents.size >= 2, `the percent moved: ${JSON.stringify(values)}`);

    // The note that said "has started" now says how it ended and links to History.
    const notice = page.getByTestId('job-notice');
    await notice.and(page.locator('[data-status="successful"]')).waitFor({ timeout: 30_000 });
    assert.match(
      (await notice.textContent()) ?? '',
      /Restore web files from Today, .* has finished successfully\. See it in History/,
    );
    assert.doesNotMatch((await notice.textContent()) ?? '', /has started/);
    // Said once: the banner leaves out the end that the note tells.
    assert.equal(
      await page
        .getByTestId('finished-task')
        .filter({ hasText: /Restore web files from/ })
        .count(),
      0,
      'the finished restore is not named again above',
    );
    await expectAccessible(page, 'Restore with the finished note');
    await browser.shot('restore-finished');
    await notice.getByRole('link', { name: 'See it in History' }).click();
    const detail = page.getByTestId('job-detail');
    await detail.waitFor();
    assert.match((await detail.textContent()) ?? '', /Successful/);
    assert.equal(
      await page.getByRole('tab', { name: 'History' }).getAttribute('aria-selected'),
      'true',
    );
  });
});
