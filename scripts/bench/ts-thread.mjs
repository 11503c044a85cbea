// A worker thread for the bench tools that runs the TypeScript module named in
// `workerData.module` (relative to this folder): tsx compiles it here, as a worker does
// not inherit the loader of the process that starts it.
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(`./${workerData.module}`, import.meta.url);
