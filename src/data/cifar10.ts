/**
 * CIFAR-10 binary format (cifar-10-batches-bin): records of 3073 bytes, one label byte (0..9)
 * then 3072 pixel bytes: R plane, G plane, B plane, each 32x32 row-major. Decoding here is
 * byte-only so it runs in a browser too; reading files is the Node adapter's job.
 */
import { fail } from '../errors.js';

export const CIFAR10_RECORD = 3073;
export const CIFAR10_PIXELS = 3072;

export interface ImageBatch {
  readonly count: number;
  /** count labels (class indices). */
  readonly labels: Uint8Array;
  /** count images, each [3, height, width] uint8 planes (CHW). */
  readonly pixels: Uint8Array;
  readonly height: number;
  readonly width: number;
}

export function parseCifar10(bytes: Uint8Array, source: string, limit?: number): ImageBatch {
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD !== 0) {
    fail('INVALID_DATA', `${source} is not a CIFAR-10 binary batch: ${bytes.length} bytes is not a multiple of the ${CIFAR10_RECORD}-byte record`);
  }
  const total = bytes.length / CIFAR10_RECORD;
  const count = limit === undefined ? total : Math.min(total, limit);
  const labels = new Uint8Array(count);
  const pixels = new Uint8Array(count * CIFAR10_PIXELS);
  for (let i = 0; i < count; i++) {
    const off = i * CIFAR10_RECORD;
    const label = bytes[off]!;
    if (label > 9) fail('INVALID_DATA', `${source}: record ${i} has label ${label}; CIFAR-10 labels are 0..9`);
    labels[i] = label;
    pixels.set(bytes.subarray(off + 1, off + CIFAR10_RECORD), i * CIFAR10_PIXELS);
  }
  return { count, labels, pixels, height: 32, width: 32 };
}
