/** What every CLI verb shares: one-line errors, JSON on stdout only, progress bars on stderr. */
import { SingleBar } from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import { BACKENDS, compile, DEFAULT_BACKEND, type Backend, type Session } from '../runtime/session.js';
import { WasmSession } from '../runtime/wasm/session.js';
import { SparseCnnError } from '../errors.js';
import type { Model } from '../graph/ir.js';
import { loadModel } from '../node/models.js';
import { loadTuningCache } from '../node/tuning.js';

export interface GlobalOptions {
  readonly json?: boolean;
  readonly quiet?: boolean;
}

/** Human-readable output goes to stdout unless --json, where stdout holds exactly one JSON object. */
export class Output {
  constructor(private readonly opts: GlobalOptions) {}

  get json(): boolean {
    return this.opts.json === true;
  }

  /** Text for people; suppressed under --json (stdout stays pure JSON). */
  line(s = ''): void {
    if (!this.json) process.stdout.write(`${s}\n`);
  }

  /** Notes and warnings: always stderr, so they never corrupt --json output. */
  note(s: string): void {
    if (this.opts.quiet !== true) process.stderr.write(`${s}\n`);
  }

  result(obj: unknown): void {
    if (this.json) process.stdout.write(`${JSON.stringify(obj)}\n`);
  }

  /** A progress bar on stderr when it is a terminal; silent otherwise (CI logs, pipes). */
  progress(label: string, total: number): { update(done: number, extra?: string): void; stop(): void } {
    if (!process.stderr.isTTY || this.opts.quiet === true) return { update() {}, stop() {} };
    const bar = new SingleBar({
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left {extra}`,
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: true,
      etaBuffer: 20,
    });
    bar.start(total, 0, { extra: '' });
    return { update: (done, extra = '') => bar.update(done, { extra }), stop: () => bar.stop() };
  }

  loadModel(spec: string): Model {
    return loadModel(spec, { onWarning: (m) => this.note(`warning: ${m}`) });
  }
}

/** Runs a verb: user errors become one line and exit code 1; anything else is a bug, reported as such. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      if (e instanceof SparseCnnError) {
        process.stderr.write(`sparsecnn: error: ${e.message}\n`);
        process.exitCode = 1;
      } else {
        const msg = (e instanceof Error ? e.message : String(e)).replace(/^internal error: /, '');
        process.stderr.write(`sparsecnn: internal error: ${msg}\n(this is a bug in sparsecnn; set SPARSECNN_DEBUG=1 for a stack trace)\n`);
        if (process.env.SPARSECNN_DEBUG && e instanceof Error) process.stderr.write(`${e.stack ?? ''}\n`);
        process.exitCode = 70;
      }
    }
  };
}

// Option parsers run inside commander, outside action(): they throw commander's own error type,
// which it reports as one usage line with exit code 1 (a SparseCnnError there would be a stack trace).
export function parsePositiveInt(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got '${v}'`);
    return n;
  };
}

export function parseNonNegativeInt(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer, got '${v}'`);
    return n;
  };
}

export function parseRatio(name: string): (v: string) => number {
  return (v: string) => {
    const r = Number(v);
    if (!Number.isFinite(r) || r < 0 || r >= 1) throw new InvalidArgumentError(`${name} must be in [0, 1), got '${v}'`);
    return r;
  };
}

export function parseNumberList(name: string, len: number): (v: string) => number[] {
  return (v: string) => {
    const a = v.split(',').map(Number);
    if (a.length !== len || a.some((x) => !Number.isFinite(x))) throw new InvalidArgumentError(`${name} must be ${len} comma-separated numbers, got '${v}'`);
    return a;
  };
}

/** --backend and --threads, shared by every verb that runs a model. */
export function engineOptions(cmd: Command): Command {
  return cmd
    .option('--backend <name>', `execution backend: ${BACKENDS.join(' | ')}`, parseBackend, DEFAULT_BACKEND)
    .option('-t, --threads <n>', 'threads for the wasm backend (default: all cores)', parsePositiveInt('--threads'))
    .option('--tuning <file>', 'a tuning cache from `sparsecnn tune` (kernel choice per operator)');
}

export function parseBackend(v: string): Backend {
  if (!(BACKENDS as readonly string[]).includes(v)) throw new InvalidArgumentError(`unknown backend '${v}' (available: ${BACKENDS.join(', ')})`);
  return v as Backend;
}

export interface EngineOptions {
  readonly backend: Backend;
  readonly threads?: number;
  readonly tuning?: string;
}

/** Compiles with the verb's engine options and reports any choice the engine made on stderr. */
export async function compileFor(model: Model, opts: EngineOptions, out: Output, extra: { profile?: boolean } = {}): Promise<Session> {
  const tuning = opts.tuning === undefined ? undefined : loadTuningCache(opts.tuning);
  const s = await compile(model, { backend: opts.backend, ...(opts.threads !== undefined ? { threads: opts.threads } : {}), ...(tuning ? { tuning } : {}), ...extra });
  if (s instanceof WasmSession) for (const n of s.notes) out.note(`note: ${n}`);
  return s;
}

export function fmtCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

export function table(rows: string[][], align: ('l' | 'r')[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (align[i] === 'r' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}
