// ESM entry: the package is compiled to CommonJS once; Node's CJS named-export
// detection lets `import { FileLock } from 'file-locking'` see every export.
export * from '../dist/lib/index.js';
// The default import is the CommonJS exports object, as TypeScript types
// `import fileLocking from 'file-locking'` (and as Node gives it for CJS).
export { default } from '../dist/lib/index.js';
