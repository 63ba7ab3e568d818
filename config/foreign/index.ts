export { foreignPath, translateForeignConfig } from './translate.js';
export type { ForeignMapping } from './mapping.js';
