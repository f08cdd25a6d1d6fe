/** Running the CLI as a user does, shared by the CLI test files. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

export const BIN = join(ROOT, 'bin', 'sparsecnn.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `sparsecnn args…` (timeout in ms; env defaults to this process's). */
export function runCli(args: readonly string[], opts: { timeout?: number; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: opts.timeout ?? 120_000, ...(opts.env ? { env: opts.env } : {}) });
  assert.notEqual(r.signal, 'SIGTERM', `sparsecnn ${args.join(' ')} hung`);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** One clear line naming the problem, a non-zero exit, no stack trace. */
export function assertCleanError(r: CliResult, pattern: RegExp): void {
  assert.notEqual(r.code, 0, 'non-zero exit code');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^sparsecnn: error: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(r.stdout, '', 'nothing on stdout');
}
