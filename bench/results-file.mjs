/**
 * Benchmarks that name their result file by date never overwrite an earlier run of the same day:
 * `${stem}.md`, else `${stem}b.md`, `${stem}c.md`, ... (the first that does not exist yet).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function freeResultPath(dir, stem) {
  for (const suffix of ['', ...'bcdefghijklmnopqrstuvwxyz']) {
    const p = join(dir, `${stem}${suffix}.md`);
    if (!existsSync(p)) return p;
  }
  throw new Error(`bench: every name ${stem}[b-z].md in ${dir} is taken; pass --out or move old results`);
}
