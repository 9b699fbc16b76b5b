import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { throttleLatest } from '../../src-main/common/throttle.js';

test('throttleLatest: the first value goes at once, a burst collapses to its newest, urgent values always pass', () => {
  const sent: number[] = [];
  const throttle = throttleLatest<number>((v) => sent.push(v), 60_000, (v) => v % 1000 === 0 && v > 0);
  for (let v = 1; v <= 2500; v++) throttle.push(v);
  assert.deepEqual(sent, [1, 1000, 2000]);
  throttle.flush();
  assert.deepEqual(sent, [1, 1000, 2000, 2500]);
  throttle.flush();
  assert.deepEqual(sent, [1, 1000, 2000, 2500], 'nothing held back, nothing sent twice');
});

test('throttleLatest: a held-back value arrives when its interval ends, without a flush', async () => {
  const sent: string[] = [];
  const throttle = throttleLatest<string>((v) => sent.push(v), 30);
  throttle.push('a');
  throttle.push('b');
  throttle.push('c');
  assert.deepEqual(sent, ['a']);
  await sleep(120);
  assert.deepEqual(sent, ['a', 'c']);
  throttle.push('d');
  assert.deepEqual(sent, ['a', 'c', 'd'], 'after a quiet interval the next value goes at once');
});

test('throttleLatest: cancel drops the held-back value', async () => {
  const sent: number[] = [];
  const throttle = throttleLatest<number>((v) => sent.push(v), 30);
  throttle.push(1);
  throttle.push(2);
  throttle.cancel();
  await sleep(90);
  throttle.flush();
  assert.deepEqual(sent, [1]);
});
