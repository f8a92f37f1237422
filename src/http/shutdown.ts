/**
 * Graceful shutdown at the HTTP edge (issue 13 R6). Once `begin()` runs, /readyz and every new
 * request answer 503 in the error shape (a load balancer stops sending at once), requests already
 * running finish; `abandonInFlight()` answers 503 to those still waiting (on a slow provider) when
 * the grace period is over, so the process can exit; their leases expire and another node takes
 * the work over.
 */
import type { FastifyReply, FastifyRequest, onRequestHookHandler, onResponseHookHandler } from 'fastify';

export interface ShutdownGate {
  readonly closing: boolean;
  begin(): void;
  /** Answers 503 to every request still running; returns how many. */
  abandonInFlight(): number;
  onRequest: onRequestHookHandler;
  onResponse: onResponseHookHandler;
}

const body = (req: FastifyRequest, summary: string) => ({ summary, request_id: String(req.id) });

const CLOSING = 'This node is shutting down; retry the request (another node will answer).';

/** The answer to a request that arrives while the node closes (the proxy's edge answers it itself). */
export function closingAnswer(requestId: string) {
  return {
    status: 503,
    headers: { 'retry-after': '1', connection: 'close' },
    body: { summary: CLOSING, request_id: requestId },
  };
}

export function createShutdownGate(): ShutdownGate {
  let closing = false;
  const running = new Set<FastifyReply>();
  return {
    get closing() {
      return closing;
    },
    begin() {
      closing = true;
    },
    abandonInFlight() {
      let n = 0;
      for (const reply of running) {
        running.delete(reply);
        if (reply.sent) continue;
        n += 1;
        void reply
          .code(503)
          .header('retry-after', '1')
          .header('connection', 'close')
          .send(
            body(
              reply.request,
              'This node is shutting down and gave up on this request; retry it (another node will answer).',
            ),
          );
      }
      return n;
    },
    onRequest(req, reply, done) {
      if (!closing) {
        running.add(reply);
        done();
        return;
      }
      void reply.code(503).header('retry-after', '1').header('connection', 'close').send(body(req, CLOSING));
    },
    onResponse(_req, reply, done) {
      running.delete(reply);
      done();
    },
  };
}
