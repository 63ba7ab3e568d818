import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The product pages this gateway was built from, beside the project (`../shared/seeds`), as CI has them. */
export const SEEDS_DIR = fileURLToPath(new URL('../../../shared/seeds/', import.meta.url));

/** The fenced code blocks of one language in a seed page, verbatim and in page order. */
export function seedBlocks(page: string, language: string): string[] {
  let text: string;
  try {
    text = readFileSync(`${SEEDS_DIR}${page}`, 'utf8');
  } catch (error) {
    throw new Error(`the seed pages are read from ${SEEDS_DIR}, beside the project as CI has them: ${String(error)}`);
  }
  const blocks: string[] = [];
  const fence = new RegExp('^```' + language + '\\b[^\\n]*\\n([\\s\\S]*?)^```', 'gm');
  for (const match of text.matchAll(fence)) blocks.push(match[1] ?? '');
  return blocks;
}
