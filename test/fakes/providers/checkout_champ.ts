/** Fake Checkout Champ: POST /campaign/query/ with loginId/password; errors as 200 ERROR. */
import type { FakeProviderDef } from '../server.js';
import { retryAfter } from '../oauth.js';

const ERROR = (message: string) => ({ status: 200, body: { result: 'ERROR', message } });

export const checkoutChampFake: FakeProviderDef = {
  routes: [
    {
      name: 'campaign_query',
      method: 'POST',
      path: /^\/campaign\/query\/?$/,
      handle: (req, state) => {
        // Credentials may come as query parameters or form fields; credvault sends the form.
        const form = req.form();
        const loginId = form.get('loginId') ?? req.query.get('loginId') ?? '';
        const password = form.get('password') ?? req.query.get('password') ?? '';
        if (loginId === '' || state.clients.get(loginId) !== password) return ERROR('Invalid Login Credentials');
        if (state.records.get(`empty:${loginId}`) !== undefined)
          return ERROR('No campaigns matching those parameters could be found');
        return {
          status: 200,
          body: {
            result: 'SUCCESS',
            message: {
              totalResults: 1,
              resultsPerPage: 1,
              page: 1,
              data: [{ campaignId: 1, campaignName: 'Main funnel' }],
            },
          },
        };
      },
    },
  ],
  error: (answer, _route, state) => {
    switch (answer) {
      case 'unauthorized':
        return ERROR('Invalid Login Credentials');
      case 'forbidden':
        return ERROR('API access denied: IP address is not authorized for this user');
      case 'not_found':
        return { status: 404, body: '' };
      case 'rate_limited':
        return { status: 429, headers: retryAfter(state), body: { result: 'ERROR', message: 'Too many requests' } };
      case 'server_error':
        return { status: 500, body: '<html>Internal Server Error</html>' };
    }
  },
};
