import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { addonCandidates } from '@rotortree/native/paths';
import { afterEach, describe, expect, it } from 'vitest';
import { loadNativeKernel, nativeSimdLevels } from '../src/native/loader.js';

// Compiled here, or prebuilt for this platform and arch.
const addonBuilt = addonCandidates(fileURLToPath(new URL('../', import.meta.url)), 'rotortree_blake3').some((path) => existsSync(path));
const savedEnv = process.env['ROTORTREE_DISABLE_NATIVE'];

afterEach(() => {
  if (savedEnv === undefined) delete process.env['ROTORTREE_DISABLE_NATIVE'];
  else process.env['ROTORTREE_DISABLE_NATIVE'] = savedEnv;
});

describe('native kernel loader', () => {
  it('returns undefined when forced unavailable by option', () => {
    expect(loadNativeKernel({ disabled: true })).toBeUndefined();
    expect(loadNativeKernel({ disabled: true, simd: 'scalar' })).toBeUndefined();
    expect(nativeSimdLevels({ disabled: true })).toEqual([]);
  });

  it('returns undefined when ROTORTREE_DISABLE_NATIVE=1', () => {
    process.env['ROTORTREE_DISABLE_NATIVE'] = '1';
    expect(loadNativeKernel()).toBeUndefined();
    expect(nativeSimdLevels()).toEqual([]);
    delete process.env['ROTORTREE_DISABLE_NATIVE'];
    expect(loadNativeKernel() === undefined).toBe(!addonBuilt);
  });

  it('returns undefined for a SIMD level it does not know', () => {
    expect(loadNativeKernel({ disabled: false, simd: 'neon' as never })).toBeUndefined();
  });

  // A built addon that does not load is a defect; without a build there is nothing to load.
  it.skipIf(!addonBuilt)('loads the built addon at the widest level, and any narrower level on request', () => {
    const levels = nativeSimdLevels({ disabled: false });
    expect(levels[0]).toBe('scalar');
    const best = loadNativeKernel({ disabled: false });
    expect(best?.backend).toBe('native');
    expect(best?.simd).toBe(levels[levels.length - 1]);
    for (const simd of levels) expect(loadNativeKernel({ disabled: false, simd })?.simd).toBe(simd);
    if (process.arch === 'x64') expect(levels).toContain('sse41');
  });
});
