/** Fake Shopify shop: GET /admin/api/:version/shop.json with X-Shopify-Access-Token. */
import type { FakeProviderDef, FakeReply } from '../server.js';
import { str } from '../state.js';

const errors = (status: number, message: string, headers?: Record<string, string>): FakeReply => ({
  status,
  body: { errors: message },
  ...(headers === undefined ? {} : { headers }),
});

export const shopifyFake: FakeProviderDef = {
  routes: [
    {
      name: 'shop',
      method: 'GET',
      path: /^\/admin\/api\/(\d{4}-\d{2})\/shop\.json$/,
      handle: (req, state) => {
        const info = state.accessTokens.get(req.header('x-shopify-access-token') ?? '');
        if (info === undefined)
          return errors(401, '[API] Invalid API key or access token (unrecognized login or wrong password)');
        if (info.frozen === true) return errors(402, 'Unavailable Shop');
        return {
          status: 200,
          body: {
            shop: {
              id: Number(str(info, 'shop_id')),
              name: 'Acme',
              myshopify_domain: str(info, 'shop'),
              plan_name: 'basic',
            },
          },
        };
      },
    },
  ],
  error: (answer, _route, state) => {
    switch (answer) {
      case 'unauthorized':
        return errors(401, '[API] Invalid API key or access token (unrecognized login or wrong password)');
      case 'forbidden':
        return errors(403, '[API] This action requires merchant approval for read_products scope.');
      case 'not_found':
        return errors(404, 'Not Found');
      case 'rate_limited':
        // Shopify sends a fractional Retry-After ("2.0").
        return errors(
          429,
          'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.',
          { 'retry-after': `${state.retryAfterSeconds}.0` },
        );
      case 'server_error':
        return errors(503, 'Service Unavailable');
    }
  },
};
