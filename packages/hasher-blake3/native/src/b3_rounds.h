/*
 * The seven BLAKE3 rounds, written once for every vector width.
 *
 * The includer defines ADD, XOR, ROR16, ROR12, ROR8, ROR7 for its word type and has two
 * arrays in scope: v[16] (the compression state) and m[16] (the message words, one per
 * index of the block). Each B3_ROUND lists the message word order of that round: round 0
 * is the identity and every next round applies the permutation
 * 2,6,3,10,7,0,4,13,1,11,12,5,9,14,15,8 to the previous one (BLAKE3 spec, section 2.2).
 */
#ifndef B3_ROUNDS_H
#define B3_ROUNDS_H

#define B3_G(a, b, c, d, x, y)                \
  v[a] = ADD(ADD(v[a], v[b]), x);             \
  v[d] = ROR16(XOR(v[d], v[a]));              \
  v[c] = ADD(v[c], v[d]);                     \
  v[b] = ROR12(XOR(v[b], v[c]));              \
  v[a] = ADD(ADD(v[a], v[b]), y);             \
  v[d] = ROR8(XOR(v[d], v[a]));               \
  v[c] = ADD(v[c], v[d]);                     \
  v[b] = ROR7(XOR(v[b], v[c]));

/* Columns, then diagonals. */
#define B3_ROUND(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15) \
  B3_G(0, 4, 8, 12, m[s0], m[s1])                                                      \
  B3_G(1, 5, 9, 13, m[s2], m[s3])                                                      \
  B3_G(2, 6, 10, 14, m[s4], m[s5])                                                     \
  B3_G(3, 7, 11, 15, m[s6], m[s7])                                                     \
  B3_G(0, 5, 10, 15, m[s8], m[s9])                                                     \
  B3_G(1, 6, 11, 12, m[s10], m[s11])                                                   \
  B3_G(2, 7, 8, 13, m[s12], m[s13])                                                    \
  B3_G(3, 4, 9, 14, m[s14], m[s15])

#define B3_ROUNDS                                             \
  B3_ROUND(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) \
  B3_ROUND(2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8) \
  B3_ROUND(3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1) \
  B3_ROUND(10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6) \
  B3_ROUND(12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4) \
  B3_ROUND(9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7) \
  B3_ROUND(11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13)

#endif
