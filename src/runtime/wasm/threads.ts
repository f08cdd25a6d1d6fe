/**
 * Threads over shared WebAssembly memory. Every worker instantiates the same kernel module on the
 * same memory; a step is split into contiguous chunks of its range, one per thread, and the main
 * thread runs chunk 0 itself. Coordination is a SharedArrayBuffer control block and Atomics
 * wait/notify (a few microseconds), not message passing, because a model is dozens of steps.
 * A worker runs a job when GEN differs from the generation it last ran, never merely because it
 * woke: a notify can arrive late (test/wasm-train-kernels.test.ts replays one).
 *
 * Control block (Int32 slots, then a Float64 argument array at byte 256):
 *   GEN    bumped by the main thread to publish a job        DONE    workers finished with it
 *   STOP   set to make workers exit                          READY   workers instantiated
 *   FN     kernel index in KERNEL_NAMES                       NARGS   argument count
 *   LO,HI  argument slots of the range bounds                 SCR     argument slot of the scratch pointer (-1: none)
 *   TOTAL, GRAIN, THREADS                                     SCRBASE, SCRBYTES  scratch layout
 */
import { KERNEL_NAMES, type KernelCaller } from './kernels.js';
import { runtimeContext } from '../context.js';

export const CTL = { GEN: 0, DONE: 1, STOP: 2, READY: 3, FN: 4, NARGS: 5, LO: 6, HI: 7, SCR: 8, TOTAL: 9, GRAIN: 10, THREADS: 11, SCRBASE: 12, SCRBYTES: 13, FAILED: 14 } as const;
export const ARGS_BYTE_OFFSET = 256;
/** Polls before sleeping in Atomics.wait: waking a sleeping thread costs tens of microseconds, a model has dozens of steps. */
export const SPIN = 20_000;
export const MAX_ARGS = 64;
export const CONTROL_BYTES = ARGS_BYTE_OFFSET + MAX_ARGS * 8;

export interface WorkerInit {
  readonly memory: WebAssembly.Memory;
  readonly control: SharedArrayBuffer;
  /** 1-based: thread 0 is the main thread. */
  readonly index: number;
  readonly relaxed: boolean;
}

export interface WorkerHandle {
  terminate(): void;
}

/** Starts a worker that calls workerMain(init) (see ./worker-main.ts). */
export type WorkerFactory = (init: WorkerInit) => WorkerHandle;

/** [lo, hi) of thread t when [0, total) is cut into `threads` chunks of whole granules. */
export function chunkOf(total: number, grain: number, threads: number, t: number): [number, number] {
  const units = Math.ceil(total / grain);
  const lo = Math.floor((t * units) / threads) * grain;
  const hi = Math.min(total, Math.floor(((t + 1) * units) / threads) * grain);
  return [Math.min(lo, total), hi];
}

/** Runs this thread's chunk of the job described in the control block. */
export function runChunk(ctl: Int32Array, args: Float64Array, thread: number, call: KernelCaller, scratchArgs: number[]): void {
  const n = ctl[CTL.NARGS]!;
  const a = scratchArgs;
  a.length = n;
  for (let i = 0; i < n; i++) a[i] = args[i]!;
  const [lo, hi] = chunkOf(ctl[CTL.TOTAL]!, ctl[CTL.GRAIN]!, ctl[CTL.THREADS]!, thread);
  if (lo >= hi) return;
  a[ctl[CTL.LO]!] = lo;
  a[ctl[CTL.HI]!] = hi;
  const scr = ctl[CTL.SCR]!;
  if (scr >= 0) a[scr] = ctl[CTL.SCRBASE]! + thread * ctl[CTL.SCRBYTES]!;
  call(KERNEL_NAMES[ctl[CTL.FN]!]!, a);
}

export class ThreadPool {
  private readonly ctl: Int32Array;
  private readonly args: Float64Array;
  private readonly handles: WorkerHandle[] = [];
  private readonly tmp: number[] = [];

  private readonly canBlock = runtimeContext.mainThreadCanBlock;

  /** `control`: the control block (public for the protocol tests; nothing else writes it). */
  private constructor(readonly threads: number, readonly control: SharedArrayBuffer, private readonly call: KernelCaller) {
    this.ctl = new Int32Array(control, 0, ARGS_BYTE_OFFSET / 4);
    this.args = new Float64Array(control, ARGS_BYTE_OFFSET, MAX_ARGS);
  }

  static async start(threads: number, memory: WebAssembly.Memory, relaxed: boolean, factory: WorkerFactory, call: KernelCaller): Promise<ThreadPool> {
    const pool = new ThreadPool(threads, new SharedArrayBuffer(CONTROL_BYTES), call);
    for (let i = 1; i < threads; i++) pool.handles.push(factory({ memory, control: pool.control, index: i, relaxed }));
    const t0 = Date.now();
    while (Atomics.load(pool.ctl, CTL.READY) < threads - 1) {
      if (Atomics.load(pool.ctl, CTL.FAILED) !== 0 || Date.now() - t0 > 30_000) {
        pool.dispose();
        throw new Error('internal error: kernel workers failed to start');
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    return pool;
  }

  /** Runs one kernel call split across all threads; returns when every chunk is done. */
  run(fn: number, args: ArrayLike<number>, lo: number, hi: number, scratch: number, total: number, grain: number, scratchBase: number, scratchBytes: number): void {
    const c = this.ctl;
    c[CTL.FN] = fn;
    c[CTL.NARGS] = args.length;
    c[CTL.LO] = lo;
    c[CTL.HI] = hi;
    c[CTL.SCR] = scratch;
    c[CTL.TOTAL] = total;
    c[CTL.GRAIN] = grain;
    // Few granules: do not wake threads that would get nothing.
    const threads = Math.max(1, Math.min(this.threads, Math.ceil(total / grain)));
    c[CTL.THREADS] = threads;
    c[CTL.SCRBASE] = scratchBase;
    c[CTL.SCRBYTES] = scratchBytes;
    for (let i = 0; i < args.length; i++) this.args[i] = args[i]!;
    Atomics.store(c, CTL.DONE, 0);
    Atomics.add(c, CTL.GEN, 1);
    Atomics.notify(c, CTL.GEN);
    runChunk(c, this.args, 0, this.call, this.tmp);
    // Every worker acknowledges every job (those with an empty chunk return at once).
    const workers = this.threads - 1;
    let spins = 0;
    for (let d = Atomics.load(c, CTL.DONE); d < workers; d = Atomics.load(c, CTL.DONE)) {
      if (spins++ >= SPIN && this.canBlock) Atomics.wait(c, CTL.DONE, d);
    }
  }

  dispose(): void {
    Atomics.store(this.ctl, CTL.STOP, 1);
    Atomics.add(this.ctl, CTL.GEN, 1);
    Atomics.notify(this.ctl, CTL.GEN);
    for (const h of this.handles) h.terminate();
    this.handles.length = 0;
  }
}
