/** The Node adapter: file system access for models, data and images. Nothing else imports node:*. */
export { loadModel, loadOnnxFile, saveModel, type LoadOptions } from './models.js';
export { loadCifar10, loadCifar10Train, readImage } from './data.js';
export { checkNewFile, readBytes, writeNewFile } from './files.js';
export { ASSETS, BUNDLED_CIFAR10, PACKAGE_ROOT, findModelFile, modelSearchPath } from './paths.js';
export { useNodeRuntime, nodeWorkerFactory } from './runtime.js';
