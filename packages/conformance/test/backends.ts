/** The backend combinations of the matrix (the real backends of this repository). */
export { matrixCombinations, backendFor } from './matrix-backends.mjs';
export type { Combination } from './matrix-backends.mjs';
