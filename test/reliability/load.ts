/** A steady request load against a child node, recording every answer (fault tests). */
import { randomBytes } from 'node:crypto';
import { BOOTSTRAP_TOKEN } from '../support/harness.js';

export interface Answer {
  status: number;
  retryAfter: string | null;
  body: unknown;
  /** Network failure instead of an answer (connection refused or reset). */
  failed?: string;
}

const auth = { authorization: `Bearer ${BOOTSTRAP_TOKEN}` };

export async function call(url: string, method: string, path: string, body?: unknown): Promise<Answer> {
  try {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: auth,
      ...(body === undefined
        ? {}
        : { headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text so the assertion shows it
    }
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: parsed };
  } catch (err) {
    return {
      status: 0,
      retryAfter: null,
      body: null,
      failed:
        err instanceof Error
          ? `${err.message} ${String((err.cause as Error | undefined)?.message ?? '')}`
          : String(err),
    };
  }
}

export const importOne = (url: string) =>
  call(url, 'POST', '/v1/credentials', {
    properties: {
      kind: 'stripe_key',
      secret: `sk_test_${randomBytes(12).toString('hex')}`,
      account_id: `acct_${randomBytes(6).toString('hex')}`,
    },
  });

/** `workers` loops alternating an import and a list until stopped; answers in order of arrival. */
export function startLoad(url: string, workers: number) {
  const answers: Answer[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let i = 0; running; i += 1) {
      const a = (i + w) % 2 === 0 ? await importOne(url) : await call(url, 'GET', '/v1/credentials?limit=5');
      answers.push(a);
      // A refused connection answers at once: do not spin.
      if (a.status === 0) await new Promise((r) => setTimeout(r, 20));
    }
  });
  return {
    answers,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Waits (polling) until `cond` holds; fails with `what` after `ms`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True for an answer in the error shape: a summary, maybe a request id, nothing else. */
export function errorShaped(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const keys = Object.keys(body);
  return (
    typeof (body as { summary?: unknown }).summary === 'string' &&
    keys.every((k) => k === 'summary' || k === 'request_id')
  );
}
