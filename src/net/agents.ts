/**
 * Keep-alive connection pools keyed by origin AND pinned address (docs/security.md A6): a pooled
 * socket is only ever reused by a request whose host was resolved and validated to that very
 * address, so a DNS answer that changes (rebinding) gets a new pool, never an old socket to
 * somewhere else. Shared by the proxy's streaming client (pool.ts) and the check GETs of the
 * provider client (outbound.ts). Nothing here retries a request.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Target } from './outbound.js';

export interface AgentPoolOptions {
  /** Sockets per origin and address. */
  maxSockets: number;
  /** An idle pooled socket is closed after this long (ms). */
  idleMs: number;
}

/** Most pools (origin and address pairs) kept; the oldest is closed beyond that. */
const MAX_POOLS = 1024;

/** A `lookup` that answers the checked address and nothing else (the connection is pinned to it). */
export function pinnedLookup(address: string): LookupFunction {
  const family = isIP(address);
  return (_name, options, callback) => {
    if (options.all === true) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

export function createAgentPool(opts: AgentPoolOptions) {
  const agents = new Map<string, http.Agent>();
  return {
    /** The pool for requests to `t` connecting to the checked `address`. */
    agentFor(t: Target, address: string): http.Agent {
      const key = `${t.url.origin}|${address}`;
      const found = agents.get(key);
      if (found) return found;
      if (agents.size >= MAX_POOLS) {
        const [oldest] = agents.keys();
        if (oldest !== undefined) {
          agents.get(oldest)?.destroy();
          agents.delete(oldest);
        }
      }
      const options = {
        keepAlive: true,
        maxSockets: opts.maxSockets,
        maxFreeSockets: opts.maxSockets,
        timeout: opts.idleMs,
        scheduling: 'lifo' as const,
        lookup: pinnedLookup(address),
      };
      const agent = t.url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
      agents.set(key, agent);
      return agent;
    },
    size: () => agents.size,
    close(): void {
      for (const a of agents.values()) a.destroy();
      agents.clear();
    },
  };
}
