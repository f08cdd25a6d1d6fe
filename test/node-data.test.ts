import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadCifar10Train } from '../src/node/data.js';
import { SparseCnnError } from '../src/errors.js';
import { BUNDLED_IMAGES } from './helpers.js';

const RECORD = 3073;

/** A training folder: data_batch_1 holds records 0..9 of the bundled file, data_batch_2 records 10..19 (or `second` bytes). */
function trainingDir(second?: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'sparsecnn-train-data-'));
  const all = readFileSync(BUNDLED_IMAGES);
  writeFileSync(join(dir, 'data_batch_1.bin'), all.subarray(0, 10 * RECORD));
  writeFileSync(join(dir, 'data_batch_2.bin'), second ?? all.subarray(10 * RECORD, 20 * RECORD));
  return dir;
}

describe('loadCifar10Train', () => {
  const all = readFileSync(BUNDLED_IMAGES);
  const labelOf = (k: number) => all[k * RECORD]!;

  it('concatenates the batches in order and names both files', () => {
    const b = loadCifar10Train(trainingDir());
    assert.equal(b.count, 20);
    assert.deepEqual(b.files.map((f) => f.split('/').pop()), ['data_batch_1.bin', 'data_batch_2.bin']);
    assert.deepEqual([...b.labels], Array.from({ length: 20 }, (_, k) => labelOf(k)));
    assert.deepEqual(b.pixels.subarray(15 * 3072, 16 * 3072), new Uint8Array(all.subarray(15 * RECORD + 1, 16 * RECORD)));
  });

  it('with a limit inside the first batch, names only the file it read', () => {
    const b = loadCifar10Train(trainingDir(), 7);
    assert.equal(b.count, 7);
    assert.deepEqual(b.files.map((f) => f.split('/').pop()), ['data_batch_1.bin']);
    assert.deepEqual([...b.labels], Array.from({ length: 7 }, (_, k) => labelOf(k)));
  });

  it('with a limit across batches, takes the head of the second one', () => {
    const b = loadCifar10Train(trainingDir(), 13);
    assert.equal(b.count, 13);
    assert.equal(b.files.length, 2);
    assert.deepEqual([...b.labels], Array.from({ length: 13 }, (_, k) => labelOf(k)));
  });

  it('does not read a batch past the limit (a damaged second file only matters when it is needed)', () => {
    const dir = trainingDir(new Uint8Array(100));
    assert.equal(loadCifar10Train(dir, 10).count, 10);
    assert.throws(() => loadCifar10Train(dir), (e: unknown) => e instanceof SparseCnnError && /data_batch_2\.bin/.test(e.message));
  });
});
