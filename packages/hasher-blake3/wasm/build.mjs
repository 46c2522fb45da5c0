// Builds wasm/blake3.wasm from wasm/assembly/ with the pinned AssemblyScript compiler.
//   node wasm/build.mjs          regenerate assembly/compress.ts and rebuild blake3.wasm
//   node wasm/build.mjs --check  rebuild into a temp dir; exit 1 if the generated source or the
//                                wasm bytes differ from the committed files (reproducibility check)
import asc from 'assemblyscript/asc';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCompressSource } from './gen-compress.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const committedWasm = join(here, 'blake3.wasm');
const committedCompress = join(here, 'assembly', 'compress.ts');

const ASC_FLAGS = [
  '--enable', 'simd',
  '-O3', '--converge', '--noAssert',
  '--runtime', 'stub',
  '--use', 'abort=',
];

async function compile(assemblyDir, outFile) {
  const { error, stderr } = await asc.main([join(assemblyDir, 'index.ts'), '-o', outFile, ...ASC_FLAGS]);
  if (error) {
    process.stderr.write(stderr.toString());
    throw error;
  }
}

const check = process.argv.includes('--check');
const generated = generateCompressSource() + '\n';

if (!check) {
  writeFileSync(committedCompress, generated);
  await compile(join(here, 'assembly'), committedWasm);
  console.log(`built ${committedWasm} (${readFileSync(committedWasm).length} bytes)`);
} else {
  const tmp = mkdtempSync(join(tmpdir(), 'blake3-wasm-check-'));
  try {
    const asmDir = join(tmp, 'assembly');
    mkdirSync(asmDir);
    copyFileSync(join(here, 'assembly', 'index.ts'), join(asmDir, 'index.ts'));
    writeFileSync(join(asmDir, 'compress.ts'), generated);
    const outFile = join(tmp, 'blake3.wasm');
    await compile(asmDir, outFile);
    const problems = [];
    if (readFileSync(committedCompress, 'utf8') !== generated) problems.push('assembly/compress.ts is not what gen-compress.mjs generates');
    if (!readFileSync(committedWasm).equals(readFileSync(outFile))) problems.push('blake3.wasm differs from a fresh build');
    if (problems.length > 0) {
      for (const p of problems) console.error(`check:wasm: ${p}`);
      process.exitCode = 1;
    } else {
      console.log('check:wasm: blake3.wasm is reproducible');
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
