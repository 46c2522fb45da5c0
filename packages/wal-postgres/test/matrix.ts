/** The conformance matrix of the PostgreSQL WAL: {no checkpoints, memory, mmap files} x n in {2, 4, 16}. */
export const STORES = ['none', 'memory', 'mmap'] as const;
export const NS = [2, 4, 16] as const;

export const COMBINATIONS: { readonly store: (typeof STORES)[number]; readonly n: number }[] = STORES.flatMap((store) => NS.map((n) => ({ store, n })));
