import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { fail } from '../errors.js';
import { parseCifar10, type ImageBatch } from '../data/cifar10.js';
import type { RgbaImage } from '../data/preprocess.js';
import { readBytes } from './files.js';

/**
 * CIFAR-10 test data from a .bin file, or a directory holding test_batch.bin
 * (e.g. ../shared/data/cifar10, or the official cifar-10-batches-bin folder).
 */
export function loadCifar10(path: string, limit?: number): ImageBatch & { file: string } {
  if (!existsSync(path)) fail('NOT_FOUND', `CIFAR-10 data '${path}' does not exist`);
  let file = path;
  if (statSync(path).isDirectory()) {
    file = join(path, 'test_batch.bin');
    if (!existsSync(file)) fail('NOT_FOUND', `no test_batch.bin in '${path}' (pass the directory of cifar-10-batches-bin, or a .bin file)`);
  }
  return { ...parseCifar10(readBytes(file, 'CIFAR-10 file'), file, limit), file };
}

/** Decodes a PNG or JPEG file (by its magic bytes) to RGBA. */
export function readImage(path: string): RgbaImage {
  const bytes = readBytes(path, 'image');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
      const png = PNG.sync.read(buf);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    if (bytes[0] === 0xff && bytes[1] === 0xd8) {
      const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      return { width: img.width, height: img.height, data: img.data };
    }
  } catch (e) {
    fail('INVALID_DATA', `cannot decode image '${path}': ${e instanceof Error ? e.message : String(e)}`);
  }
  return fail('INVALID_DATA', `'${path}' is not a PNG or JPEG image`);
}

/**
 * CIFAR-10 training data: a .bin file, or every data_batch_<k>.bin (k = 1…5) in a directory,
 * concatenated in batch order (../shared/data/cifar10 has batches 1 and 2: 20,000 images).
 */
export function loadCifar10Train(path: string, limit?: number): ImageBatch & { files: string[] } {
  if (!existsSync(path)) fail('NOT_FOUND', `CIFAR-10 training data '${path}' does not exist`);
  const files = statSync(path).isDirectory()
    ? [1, 2, 3, 4, 5].map((k) => join(path, `data_batch_${k}.bin`)).filter((f) => existsSync(f))
    : [path];
  if (files.length === 0) fail('NOT_FOUND', `no data_batch_<k>.bin in '${path}' (pass the directory of cifar-10-batches-bin, or a .bin file)`);
  // Read files in order only until `limit` images are in hand (parsing no record past it): `files`
  // names the ones that gave images, so a run's recorded recipe says which training data it saw.
  const parts: { file: string; batch: ImageBatch }[] = [];
  let count = 0;
  for (const f of files) {
    if (count >= (limit ?? Infinity)) break;
    const batch = parseCifar10(readBytes(f, 'CIFAR-10 file'), f, limit === undefined ? undefined : limit - count);
    parts.push({ file: f, batch });
    count += batch.count;
  }
  const labels = new Uint8Array(count);
  const pixels = new Uint8Array(count * 3072);
  let o = 0;
  for (const { batch: p } of parts) {
    labels.set(p.labels, o);
    pixels.set(p.pixels, o * 3072);
    o += p.count;
  }
  return { count, labels, pixels, height: 32, width: 32, files: parts.map((x) => x.file) };
}
