/**
 * Text from outside (input lines, paths) made safe to print on a terminal.
 * @module
 */

/** Control characters, C1 controls, bidi overrides, BOM and U+FFFD (a byte that was not UTF-8). */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff\ufffd]/g;

/**
 * `s` safe to print on a terminal: every control or invisible character as `\u{...}`, so that
 * input quoted in an error can neither move the cursor nor hide what it holds (a BOM, a CR).
 */
export function printable(s: string): string {
  return s.replace(UNPRINTABLE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
