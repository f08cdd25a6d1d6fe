import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (compiled files live in dist/src/node/). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Bundled with the package: the two pretrained CIFAR ResNets and 1017 original-pixel test images. */
export const ASSETS = join(PACKAGE_ROOT, 'assets');
export const BUNDLED_CIFAR10 = join(ASSETS, 'cifar10', 'test_batch_exact_first1017.bin');

/**
 * Where pretrained model files are looked for, in order: $SPARSECNN_MODELS, the bundled assets,
 * and the shared data folder beside a source checkout.
 */
export function modelSearchPath(): string[] {
  const dirs = [join(ASSETS, 'models'), resolve(PACKAGE_ROOT, '..', 'shared', 'data', 'models')];
  const env = process.env.SPARSECNN_MODELS;
  return env ? [resolve(env), ...dirs] : dirs;
}

export function findModelFile(file: string): string | undefined {
  for (const d of modelSearchPath()) {
    const p = join(d, file);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** The CIFAR-10 folder training reads by default: $SPARSECNN_DATA, else ../shared/data/cifar10 beside the checkout. */
export function defaultCifar10Dir(): string {
  const env = process.env.SPARSECNN_DATA;
  return env ? resolve(env) : resolve(PACKAGE_ROOT, '..', 'shared', 'data', 'cifar10');
}
