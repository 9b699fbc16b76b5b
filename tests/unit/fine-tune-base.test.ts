import { test } from 'node:test';
import assert from 'node:assert/strict';
import { suggestedBase, type BaseCandidate } from '../../src-common/fine-tune.js';

const shipped = (id: string, scale: 2 | 3 | 4, family: 'clean' | 'robust', isDefault = false): BaseCandidate => ({ id, scale, family, source: 'shipped', isDefault });
const models: BaseCandidate[] = [
  shipped('efficient-x2', 2, 'clean', true), shipped('robust-x2', 2, 'robust'), shipped('espcn-x2', 2, 'clean'),
  shipped('efficient-x4', 4, 'clean', true), shipped('robust-x4', 4, 'robust'),
  shipped('efficient-x3', 3, 'clean', true),
  { id: 'my-scans-x2', scale: 2, family: 'clean', source: 'custom', isDefault: false },
];

test('a degraded preset starts from the robust model of the chosen clean model\'s scale', () => {
  assert.equal(suggestedBase(models, 'efficient-x4', 'film'), 'robust-x4');
  assert.equal(suggestedBase(models, 'efficient-x2', 'photo'), 'robust-x2');
  assert.equal(suggestedBase(models, 'espcn-x2', 'jpeg'), 'robust-x2');
  assert.equal(suggestedBase(models, 'robust-x2', 'noise'), 'robust-x2');
});

test('a clean preset starts from the clean default in place of a robust model', () => {
  assert.equal(suggestedBase(models, 'robust-x4', 'clean'), 'efficient-x4');
  assert.equal(suggestedBase(models, 'robust-x2', 'bicubic'), 'efficient-x2');
  assert.equal(suggestedBase(models, 'espcn-x2', 'clean'), 'espcn-x2');
});

test('custom models, scales without the other family and unknown ids stay as chosen', () => {
  assert.equal(suggestedBase(models, 'my-scans-x2', 'film'), 'my-scans-x2');
  assert.equal(suggestedBase(models, 'efficient-x3', 'film'), 'efficient-x3');
  assert.equal(suggestedBase(models, 'gone', 'film'), 'gone');
});
