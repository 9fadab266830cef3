import { debuglog } from 'node:util';

/**
 * `NODE_DEBUG=file-locking` tracing: waits, grants (with how long they
 * waited) and releases. A no-op unless enabled.
 * @internal
 */
export const trace = debuglog('file-locking');
