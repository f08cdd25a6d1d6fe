/**
 * The engine in a real browser: headless Chromium loads the compiled modules from a local,
 * cross-origin-isolated server, runs a small conv net on the wasm backend with 1 and 2 threads
 * (module Web Workers over shared memory) and the reference backend, and posts the results back.
 * Skips when no Chromium is installed (.ci/run installs it where it can).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './helpers.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import { useBrowserRuntime } from '/dist/src/browser/runtime.js';
import { compile } from '/dist/src/runtime/session.js';
import { GraphBuilder } from '/dist/src/zoo/builder.js';
const report = (r) => fetch('/__result', { method: 'POST', body: JSON.stringify(r) });
try {
  useBrowserRuntime();
  const b = new GraphBuilder('browser-net', 3);
  let x = b.input('input', ['batch', 8, 20, 20]);
  x = b.relu(b.conv(x, 24, { kernel: 3, bias: true }, 'c1'), 'r1');
  x = b.relu6(b.conv(x, 24, { kernel: 3, stride: 2, groups: 24, bias: true }, 'dw'), 'r2');
  x = b.conv(x, 32, { kernel: 1, bias: true }, 'pw');
  x = b.flatten(b.globalAvgPool(x, 'gap'), 'flat');
  b.output(b.linear(x, 10, 'fc'), 'logits');
  const g = b.build();
  const data = new Float32Array(2 * 8 * 20 * 20).map((_, i) => Math.sin(i * 0.37));
  const feeds = { input: { dtype: 'float32', shape: [2, 8, 20, 20], data } };
  const ref = (await (await compile(g, { backend: 'ref' })).run(feeds)).logits.data;
  const one = await compile(g, { backend: 'wasm', threads: 1 });
  const two = await compile(g, { backend: 'wasm', threads: 2 });
  const a = (await one.run(feeds)).logits.data;
  const c = (await two.run(feeds)).logits.data;
  let diffRef = 0, diffThreads = 0;
  for (let i = 0; i < ref.length; i++) { diffRef = Math.max(diffRef, Math.abs(a[i] - ref[i])); diffThreads = Math.max(diffThreads, Math.abs(a[i] - c[i])); }
  await report({ isolated: crossOriginIsolated, threads: two.threads, relaxed: two.relaxedSimd, notes: two.notes, diffRef, diffThreads, n: ref.length });
  two.dispose();
} catch (e) {
  await report({ error: String(e && e.stack || e) });
}
</script>`;

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.html': 'text/html', '.map': 'application/json' };

function serve(onResult: (body: string) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    const url = (req.url ?? '/').split('?')[0]!;
    if (url === '/__result') {
      let body = '';
      req.on('data', (d) => (body += d)).on('end', () => {
        res.writeHead(204, headers).end();
        onResult(body);
      });
      return;
    }
    if (url === '/' || url === '/index.html') return void res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(PAGE);
    const file = normalize(join(ROOT, url));
    if (!file.startsWith(join(ROOT, 'dist')) || !existsSync(file)) return void res.writeHead(404, headers).end();
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

describe('browser (headless Chromium)', () => {
  it('wasm backend with 2 module-worker threads over shared memory == 1 thread == reference', { skip: CHROMIUM ? false : 'no Chromium installed', timeout: 120_000 }, async () => {
    let resolveResult!: (s: string) => void;
    const result = new Promise<string>((r) => (resolveResult = r));
    const { server, port } = await serve(resolveResult);
    const profile = mkdtempSync(join(tmpdir(), 'sparsecnn-chromium-'));
    const browser = spawn(CHROMIUM!, [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, `http://127.0.0.1:${port}/`,
    ], { stdio: 'ignore' });
    try {
      const timer = new Promise<string>((_, reject) => setTimeout(() => reject(new Error('no result from the page within 90 s')), 90_000));
      const r = JSON.parse(await Promise.race([result, timer])) as { error?: string; isolated: boolean; threads: number; notes: string[]; diffRef: number; diffThreads: number; n: number };
      assert.equal(r.error, undefined, r.error);
      assert.equal(r.isolated, true, 'the page is cross-origin isolated');
      assert.equal(r.threads, 2, `threads used: ${r.threads} (${r.notes.join('; ')})`);
      assert.equal(r.n, 20);
      assert.ok(r.diffRef < 1e-4, `wasm vs ref ${r.diffRef}`);
      assert.equal(r.diffThreads, 0);
    } finally {
      browser.kill('SIGKILL');
      server.close();
    }
  });
});
