/** Entry point of a kernel Web Worker (see runtime/wasm/threads.ts); started by browserWorkerFactory. */
import { workerMain } from '../runtime/wasm/worker-main.js';
import type { WorkerInit } from '../runtime/wasm/threads.js';

addEventListener('message', (e) => void workerMain((e as MessageEvent<WorkerInit>).data), { once: true });
