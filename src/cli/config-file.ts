/**
 * The CLI's config file, written by `credvault login`: the server URL and an API token, mode
 * 0600 in a 0700 directory. CREDVAULT_CONFIG names the file; else
 * $XDG_CONFIG_HOME/credvault/config.json (~/.config/credvault/config.json).
 * --url/--token and CREDVAULT_URL/CREDVAULT_TOKEN win over it.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface CliConfig {
  url: string;
  token: string;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CREDVAULT_CONFIG) return env.CREDVAULT_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'credvault', 'config.json');
}

/** The stored config, or undefined when there is none (or it is unreadable). */
export function readConfig(path = configPath()): CliConfig | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as Partial<CliConfig>;
    if (typeof v.url === 'string' && typeof v.token === 'string') return { url: v.url, token: v.token };
  } catch {
    // an unreadable file is reported as no login
  }
  return undefined;
}

/** Writes the config atomically, 0600 (the token is a secret). */
export function writeConfig(config: CliConfig, path = configPath()): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
