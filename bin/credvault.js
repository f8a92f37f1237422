#!/usr/bin/env node
import { runCli } from '../dist/src/cli/index.js';

runCli(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.message : String(err)); process.exitCode = 1; },
);
