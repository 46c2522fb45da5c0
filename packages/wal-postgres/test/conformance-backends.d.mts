import type { BackendUnderTest } from '@rotortree/conformance';
import type { PostgresService } from '@rotortree/conformance/network';
export function createBackend(params: {
  connection: string;
  store: 'none' | 'memory' | 'mmap';
  n?: number;
  network?: boolean;
  pair?: PostgresService;
}): BackendUnderTest;
