#!/usr/bin/env node
import { runCli } from '../dist/src/cli/index.js';

// A failed command exits at once, even if something it opened still holds the event loop
// (a listen that failed with EADDRINUSE used to leave the process running).
runCli(process.argv).then(
  (code) => {
    process.exitCode = code;
    if (code !== 0) process.exit(code);
  },
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
