/** docs/kinds.md is exactly what the registries generate: it cannot drift from the code. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { KINDS_DOC_PATH, generateKindsDoc } from '../../scripts/generate-kinds-doc.js';
import { KINDS, PROVIDERS } from '../../src/providers/registry.js';

describe('generated kinds reference', () => {
  it('docs/kinds.md matches a fresh generation (run `npm run generate:docs` when it does not)', async () => {
    const committed = await readFile(KINDS_DOC_PATH, 'utf8');
    expect(
      generateKindsDoc() === committed,
      'docs/kinds.md is stale: run `npm run generate:docs` and commit the result',
    ).toBe(true);
  });

  it('documents every kind and every provider', () => {
    const text = generateKindsDoc();
    for (const kind of KINDS) expect(text).toContain(`### \`${kind}\``);
    for (const provider of PROVIDERS) expect(text).toContain(`(\`${provider}\`)`);
  });
});
