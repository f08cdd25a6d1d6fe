/** The body of a kernel worker (platform-neutral; src/node/wasm-worker.ts starts it under Node). */
import { loadKernels } from './kernels.js';
import { ARGS_BYTE_OFFSET, CTL, MAX_ARGS, runChunk, SPIN, type WorkerInit } from './threads.js';

export async function workerMain(init: WorkerInit): Promise<void> {
  const ctl = new Int32Array(init.control, 0, ARGS_BYTE_OFFSET / 4);
  const args = new Float64Array(init.control, ARGS_BYTE_OFFSET, MAX_ARGS);
  let call;
  try {
    call = (await loadKernels(init.memory, { relaxed: init.relaxed, shared: true })).call;
  } catch (e) {
    Atomics.store(ctl, CTL.FAILED, 1);
    throw e;
  }
  // Read the generation before announcing READY: once READY counts this worker the main thread may
  // publish a job, which would otherwise be mistaken for the baseline and never run.
  let gen = Atomics.load(ctl, CTL.GEN);
  Atomics.add(ctl, CTL.READY, 1);
  const tmp: number[] = [];
  for (;;) {
    // A job is a new generation, never a wake-up: the main thread may be descheduled between bumping
    // GEN and its notify, and that late notify then wakes this worker after it already ran the job,
    // while it waits for the next one. Running on the wake-up alone ran that job twice (a kernel
    // that accumulates then adds twice, and the extra DONE lets the next job return early).
    let next = Atomics.load(ctl, CTL.GEN);
    for (let spins = 0; next === gen; next = Atomics.load(ctl, CTL.GEN)) {
      if (spins++ >= SPIN) Atomics.wait(ctl, CTL.GEN, gen);
    }
    gen = next;
    if (Atomics.load(ctl, CTL.STOP) !== 0) return;
    runChunk(ctl, args, init.index, call, tmp);
    Atomics.add(ctl, CTL.DONE, 1);
    Atomics.notify(ctl, CTL.DONE);
  }
}
