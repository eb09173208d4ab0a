import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedMutex } from './mutex.js';

test('work on one key runs one at a time, in order', async () => {
  const mutex = new KeyedMutex();
  const events: string[] = [];
  const job = (name: string, ms: number) =>
    mutex.run('repo-a', async () => {
      events.push(`start ${name}`);
      await sleep(ms);
      events.push(`end ${name}`);
      return name;
    });
  const results = await Promise.all([job('1', 30), job('2', 5), job('3', 1)]);
  assert.deepEqual(results, ['1', '2', '3']);
  assert.deepEqual(events, ['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  assert.equal(mutex.isBusy('repo-a'), false);
});

test('different keys run side by side, and a failure releases the key', async () => {
  const mutex = new KeyedMutex();
  let concurrent = 0;
  let peak = 0;
  const work = async () => {
    concurrent++;
    peak = Math.max(peak, concurrent);
    await sleep(20);
    concurrent--;
  };
  await Promise.all([mutex.run('a', work), mutex.run('b', work)]);
  assert.equal(peak, 2);
  await assert.rejects(
    mutex.run('a', () => Promise.reject(new Error('boom'))),
    /boom/,
  );
  assert.equal(await mutex.run('a', async () => 'after'), 'after');
});
