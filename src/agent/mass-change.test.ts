import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_GUARD, judgeChanges, p95, type ChangeCounts } from './mass-change.js';

/** mulberry32: the same seeded generator as the demo's and the bench's data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many of `n` trials with probability `p` succeed. */
function binomial(r: () => number, n: number, p: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (r() < p) k++;
  return k;
}

/**
 * The demo web root (alice: WordPress, 2,008 files, 150 of them images and thumbnails) under the
 * demo's daily edit (the bench's `mutate(0.01)`: about 1 % of the files edited; here each file
 * with 1 % chance, so some days 10, some 30), plus what real sites add around it: a few uploads
 * (images, which read as random bytes), a few deletions, and on the first of each month a plugin
 * update that rewrites 4 % of the files and deletes a few.
 */
function simulateYear(seed: number, days = 365) {
  const r = prng(seed);
  let files = 2008;
  const imageShare = 150 / 2008;
  const history = { changeShares: [] as number[], randomShares: [] as number[] };
  let flagged = 0;
  let maxChange = 0;
  let minMargin = Infinity;
  for (let day = 0; day < days; day++) {
    const update = day % 30 === 0;
    const edited = binomial(r, files, update ? 0.04 : 0.01);
    const deleted = Math.floor(r() * (update ? 12 : 3));
    const uploads = Math.floor(r() * 6);
    const counts: ChangeCounts = {
      previousFiles: files,
      filesNew: uploads,
      filesChanged: edited,
      filesUnmodified: files - edited - deleted,
      sample: (() => {
        const modified = edited + uploads;
        const sampled = Math.min(64, modified);
        // Edited images and every upload read as random; PHP, CSS and JS do not.
        const randomOdds = modified === 0 ? 0 : (edited * imageShare + uploads) / modified;
        return { modified, sampled, random: binomial(r, sampled, randomOdds) };
      })(),
    };
    const verdict = judgeChanges(counts, history);
    if (verdict.flagged) flagged++;
    maxChange = Math.max(maxChange, verdict.changeShare ?? 0);
    minMargin = Math.min(minMargin, verdict.changeThreshold - (verdict.changeShare ?? 0));
    if (!verdict.flagged) {
      history.changeShares.unshift(verdict.changeShare!);
      history.randomShares.unshift(verdict.randomShare ?? 0);
      history.changeShares.length = Math.min(history.changeShares.length, 30);
      history.randomShares.length = Math.min(history.randomShares.length, 30);
    }
    files = files - deleted + uploads;
  }
  return { flagged, maxChange, minMargin, files };
}

describe('mass-change guard: the decision', () => {
  test("a simulated year of the demo site's normal daily changes is never flagged", (t) => {
    const year = simulateYear(2026);
    t.diagnostic(
      `1 year: ${year.flagged} of 365 days flagged (false-positive rate ${((year.flagged / 365) * 100).toFixed(2)} %); ` +
        `largest daily change share ${(year.maxChange * 100).toFixed(1)} %, smallest distance to the alarm level ${(year.minMargin * 100).toFixed(1)} points`,
    );
    assert.equal(year.flagged, 0);
    // And over 100 simulated years (36,500 days with other seeds): the rate the closing note gives.
    let days = 0;
    let flagged = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const y = simulateYear(seed);
      days += 365;
      flagged += y.flagged;
    }
    t.diagnostic(
      `100 years: ${flagged} of ${days} days flagged (false-positive rate ${((flagged / days) * 100).toFixed(3)} %)`,
    );
    assert.equal(flagged, 0);
  });

  test('60 % of the files encrypted and renamed, as ransomware does: flagged on both signals', () => {
    const history = { changeShares: Array(30).fill(0.01), randomShares: Array(30).fill(0.001) };
    const previous = 2008;
    const encrypted = Math.round(previous * 0.6);
    const verdict = judgeChanges(
      {
        previousFiles: previous,
        // Renamed with an extension: each encrypted file is new, its original gone.
        filesNew: encrypted,
        filesChanged: 0,
        filesUnmodified: previous - encrypted,
        sample: { modified: encrypted, sampled: 64, random: 64 },
      },
      history,
    );
    assert.equal(verdict.flagged, true);
    assert.equal(verdict.deleted, encrypted);
    assert.equal(verdict.reasons.length, 2, verdict.reasons.join('\n'));
    assert.match(
      verdict.reasons[0]!,
      /60 % of the files of the previous backup were changed or deleted/,
    );
    assert.match(verdict.reasons[1]!, /read as random bytes/);
  });

  test('encrypted in place (same names): flagged by the changed share alone', () => {
    const verdict = judgeChanges(
      { previousFiles: 1000, filesNew: 0, filesChanged: 600, filesUnmodified: 400 },
      { changeShares: [0.01, 0.02], randomShares: [] },
    );
    assert.equal(verdict.flagged, true);
    assert.equal(verdict.changeShare, 0.6);
  });

  test("the level follows the customer's own history, within its floor and its cap", () => {
    const counts = { previousFiles: 1000, filesNew: 0, filesChanged: 300, filesUnmodified: 700 };
    // A quiet site: 30 % at once is far beyond its usual 1 %.
    assert.equal(judgeChanges(counts, { changeShares: [0.01], randomShares: [] }).flagged, true);
    // A site that rewrites 10 % every day (a cache in the web root): 30 % is within 4 × 10 %.
    const churny = { changeShares: Array(30).fill(0.1), randomShares: [] };
    assert.equal(judgeChanges(counts, churny).flagged, false);
    assert.equal(judgeChanges(counts, churny).changeThreshold, 0.4);
    // Even a site that churns half its files: losing 90 % of them at once is above the cap.
    const wild = { changeShares: Array(30).fill(0.5), randomShares: [] };
    const lost = { previousFiles: 1000, filesNew: 0, filesChanged: 0, filesUnmodified: 100 };
    assert.equal(judgeChanges(lost, wild).changeThreshold, DEFAULT_GUARD.maxShare);
    assert.equal(judgeChanges(lost, wild).flagged, true);
  });

  test('new files alone (uploads) are no alarm; a tiny site under the minimum of files neither', () => {
    const uploads = { previousFiles: 100, filesNew: 500, filesChanged: 0, filesUnmodified: 100 };
    assert.equal(judgeChanges(uploads, { changeShares: [], randomShares: [] }).flagged, false);
    const tiny = { previousFiles: 30, filesNew: 0, filesChanged: 25, filesUnmodified: 5 };
    assert.equal(judgeChanges(tiny, { changeShares: [], randomShares: [] }).flagged, false);
  });

  test('photos uploaded every day do not trip the random-content signal; encryption does', () => {
    // A photographer's site: 200 new JPEGs a day on 5,000 files, every sample random.
    const photos = {
      previousFiles: 5000,
      filesNew: 200,
      filesChanged: 0,
      filesUnmodified: 5000,
      sample: { modified: 200, sampled: 64, random: 64 },
    };
    const own = { changeShares: Array(30).fill(0), randomShares: Array(30).fill(0.04) };
    assert.equal(judgeChanges(photos, own).flagged, false);
    // 20 % of its files rewritten with random bytes in place, under the changed-share level
    // (4 × 6 % = 24 %) of a site that edits 6 % daily.
    const encrypted = {
      previousFiles: 5000,
      filesNew: 0,
      filesChanged: 1000,
      filesUnmodified: 4000,
      sample: { modified: 1000, sampled: 64, random: 64 },
    };
    const editor = { changeShares: Array(30).fill(0.06), randomShares: Array(30).fill(0.01) };
    const verdict = judgeChanges(encrypted, editor);
    assert.equal(verdict.flagged, true);
    assert.equal(verdict.reasons.length, 1);
    assert.match(verdict.reasons[0]!, /random bytes/);
  });

  test('no previous backup: nothing to compare, never flagged', () => {
    const v = judgeChanges(
      { filesNew: 2000, filesChanged: 0, filesUnmodified: 0 },
      { changeShares: [], randomShares: [] },
    );
    assert.equal(v.flagged, false);
    assert.equal(v.changeShare, null);
    assert.equal(p95([]), 0);
    assert.equal(p95([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]), 19);
  });
});
