/** Every setting the service reads is documented in the README (documented flags, sane defaults). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('README documents the configuration', () => {
  it('names every CREDVAULT_ variable that src/config.ts reads', () => {
    const config = readFileSync('src/config.ts', 'utf8');
    const readme = readFileSync('README.md', 'utf8');
    const names = [...new Set(config.match(/CREDVAULT_[A-Z0-9_]*[A-Z0-9]/g) ?? [])];
    expect(names.length).toBeGreaterThan(20);
    expect(names.filter((n) => !readme.includes(n))).toEqual([]);
  });

  it('CREDVAULT_TOKEN_CACHE_MS: 5000 by default, 0 turns the opened-token window off, negative is refused', () => {
    const base = { CREDVAULT_MASTER_KEYS: 'k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=' };
    expect(loadConfig(base).tokenCacheMs).toBe(5000);
    expect(loadConfig({ ...base, CREDVAULT_TOKEN_CACHE_MS: '0' }).tokenCacheMs).toBe(0);
    expect(() => loadConfig({ ...base, CREDVAULT_TOKEN_CACHE_MS: '-1' })).toThrow();
  });
});
