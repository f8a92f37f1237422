import { sql as m001 } from './001_init.js';

/** Numbered migrations, applied in order; never edit one that has shipped, add the next. */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  { version: 1, name: 'init', sql: m001 },
];
