// ESM entry: the package is compiled to CommonJS once; Node's CJS named-export
// detection lets `import { FileLock } from 'file-locking'` see every export.
export * from '../dist/lib/index.js';
