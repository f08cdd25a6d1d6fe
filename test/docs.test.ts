/** The code in the README and docs imports names the package really exports. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './helpers.js';

const ENTRY: Record<string, string> = {
  sparsecnn: '../src/index.js',
  'sparsecnn/node': '../src/node/index.js',
};

function docFiles(): string[] {
  return ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
}

/** Every `import { a, type B, c as d } from 'sparsecnn…'` in the file's code blocks: [module, value names]. */
function importsOf(text: string): [string, string[]][] {
  const out: [string, string[]][] = [];
  for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(sparsecnn(?:\/[a-z]+)?)'/g)) {
    const names = m[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '' && !s.startsWith('type '))
      .map((s) => s.split(/\s+as\s+/)[0]!);
    out.push([m[2]!, names]);
  }
  return out;
}

describe('documentation examples', () => {
  it('import only names the package exports', async () => {
    let checked = 0;
    for (const file of docFiles()) {
      for (const [mod, names] of importsOf(readFileSync(join(ROOT, file), 'utf8'))) {
        const entry = ENTRY[mod];
        assert.ok(entry !== undefined, `${file} imports from '${mod}', which is not a Node entry point of the package`);
        const exports = (await import(entry)) as Record<string, unknown>;
        for (const n of names) {
          assert.ok(n in exports, `${file}: '${n}' is not exported by '${mod}'`);
          checked++;
        }
      }
    }
    assert.ok(checked >= 10, `only ${checked} imported names found in the docs`);
  });
});
