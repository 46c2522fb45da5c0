// The leaves every smoke script and the CLI check use: leaf i is 0xab, 27 zero bytes, then i as a
// big-endian u32, so the same count gives the same root everywhere.
export function leafHex(i) {
  return `ab${'00'.repeat(27)}${i.toString(16).padStart(8, '0')}`;
}

export function leafBytes(i) {
  return Uint8Array.from(Buffer.from(leafHex(i), 'hex'));
}

export function leaves(count) {
  return Array.from({ length: count }, (_, i) => leafBytes(i));
}

/** Prints the script's result as the last line of stdout (the test parses it). */
export function report(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
