/**
 * The tuning cache (AITemplate-style profiling results): for each operator signature, the kernel
 * that ran fastest on this machine and the times of every candidate. A JSON file a user can commit;
 * entries from another machine fingerprint are ignored (the fastest kernel is a property of the CPU).
 *
 *   { "version": 1, "machine": "<fingerprint>",
 *     "entries": { "<op signature>": { "kernel": "f32_conv2d_4x8", "ms": { "<candidate>": 0.41, ... } } } }
 */
import { fail } from '../errors.js';

export interface TuningEntry {
  readonly kernel: string;
  readonly ms: Readonly<Record<string, number>>;
}

export interface TuningCache {
  readonly version: 1;
  readonly machine: string;
  readonly entries: Readonly<Record<string, TuningEntry>>;
}

export function emptyCache(machine: string): TuningCache {
  return { version: 1, machine, entries: {} };
}

export function parseTuningCache(text: string, source: string): TuningCache {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    fail('INVALID_DATA', `${source} is not JSON`);
  }
  const o = j as Partial<TuningCache>;
  if (typeof o !== 'object' || o === null || o.version !== 1 || typeof o.machine !== 'string' || typeof o.entries !== 'object' || o.entries === null) {
    fail('INVALID_DATA', `${source} is not a sparsecnn tuning cache (expected {version: 1, machine, entries})`);
  }
  return o as TuningCache;
}

/** Merges newer results over older ones (same machine only). */
export function mergeCaches(old: TuningCache | undefined, fresh: TuningCache): TuningCache {
  if (old === undefined || old.machine !== fresh.machine) return fresh;
  return { version: 1, machine: fresh.machine, entries: { ...old.entries, ...fresh.entries } };
}
