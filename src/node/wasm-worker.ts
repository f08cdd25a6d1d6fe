/** Entry point of a kernel worker thread under Node (see runtime/wasm/threads.ts). */
import { workerData } from 'node:worker_threads';
import { enableRelaxedSimd } from './runtime.js';
import { workerMain } from '../runtime/wasm/worker-main.js';
import type { WorkerInit } from '../runtime/wasm/threads.js';

enableRelaxedSimd();
await workerMain(workerData as WorkerInit);
