/**
 * The framer for any protocol: each read from the socket is one message (`chunk`). Counts are
 * then counts of TCP reads, which depend on timing: use a protocol framer where there is one.
 * @module
 */
import type { Framer, Framing } from './types.js';

const chunkFramer = (): Framer => ({ push: (chunk) => [{ bytes: chunk, start: { kind: 'chunk', length: chunk.length }, end: true }] });

/** Each read is one message, in both directions. */
export const chunkFraming: Framing = () => ({ request: chunkFramer(), reply: chunkFramer() });
