/** The code in the README and docs imports names the package really exports. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
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

  it('TypeScript examples type-check against the built package (strict)', () => {
    // Inside the package folder, so 'sparsecnn' resolves to this package through its "exports".
    const dir = mkdtempSync(join(ROOT, '.docs-check-'));
    try {
      const files: string[] = [];
      for (const file of docFiles()) {
        const blocks = [...readFileSync(join(ROOT, file), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
        blocks.forEach((code, i) => {
          const f = join(dir, `${file.replace(/[/.]/g, '_')}_${i}.mts`);
          writeFileSync(f, code);
          files.push(f);
        });
      }
      assert.ok(files.length >= 1, 'the README has a TypeScript example');
      const program = ts.createProgram(files, {
        strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, types: ['node'],
      });
      const errors = ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName.split('/').pop() ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      assert.deepEqual(errors, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
