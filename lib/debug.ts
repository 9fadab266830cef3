import { debuglog } from 'node:util';

/** Tracing for `NODE_DEBUG=file-locking`. @internal */
export const debug = debuglog('file-locking');
