import type { BackendUnderTest } from '@rotortree/conformance';
export function createBackend(params: { connection: string; store: 'none' | 'memory' | 'mmap' }): BackendUnderTest;
