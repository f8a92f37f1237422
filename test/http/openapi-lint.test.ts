/** `npm run lint` lints the OpenAPI document; this keeps the 0-problem target visible in the suite too. */
import { describe, expect, it } from 'vitest';
import { lintOpenApi } from '../../scripts/lint-openapi.js';

describe('OpenAPI lint', () => {
  it('Redocly recommended and Spectral spectral:oas report no error and no warning', async () => {
    const c = await lintOpenApi();
    expect(c.lines).toEqual([]);
    expect(c).toMatchObject({ redocly: { errors: 0, warnings: 0 }, spectral: { errors: 0, warnings: 0 } });
  }, 180_000);
});
