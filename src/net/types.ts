/** One outbound HTTP request to a provider. Secrets travel in headers or body, never the URL. */
export interface OutboundRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Overrides the default timeout (CREDVAULT_PROVIDER_TIMEOUT_MS). */
  timeoutMs?: number;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string>;
  /** Body text, at most the size cap (larger answers are a `too_large` failure). */
  body: string;
}

/** Why a request got no HTTP answer; never carries request data. */
export type NetFailureReason = 'timeout' | 'network_error' | 'blocked_host' | 'too_large' | 'redirect_refused';

export type OutboundResult =
  { ok: true; response: OutboundResponse } | { ok: false; reason: NetFailureReason; message: string };

/** The only way provider code reaches the network: a safe client passed in. */
export interface OutboundHttp {
  request(req: OutboundRequest): Promise<OutboundResult>;
}
