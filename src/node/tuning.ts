import { existsSync, readFileSync } from 'node:fs';
import { fail } from '../errors.js';
import { mergeCaches, parseTuningCache, type TuningCache } from '../tune/cache.js';
import { writeNewFile } from './files.js';

export function loadTuningCache(path: string): TuningCache {
  if (!existsSync(path)) fail('NOT_FOUND', `tuning cache '${path}' does not exist (make one with sparsecnn tune MODEL -o ${path})`);
  return parseTuningCache(readFileSync(path, 'utf8'), path);
}

/**
 * Writes a tuning cache. An existing cache is updated (entries merged, same machine); any other
 * existing file is only replaced with `force`.
 */
export function saveTuningCache(path: string, cache: TuningCache, force = false): TuningCache {
  let merged = cache;
  if (existsSync(path)) {
    let old: TuningCache | undefined;
    try {
      old = parseTuningCache(readFileSync(path, 'utf8'), path);
    } catch {
      if (!force) fail('EXISTS', `'${path}' exists and is not a tuning cache; pass --force to overwrite it`);
    }
    merged = mergeCaches(old, cache);
  }
  writeNewFile(path, `${JSON.stringify(merged, null, 1)}\n`, true);
  return merged;
}
