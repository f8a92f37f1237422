/**
 * GitHub App installation. The App's `app_id` and `private_key` live in the OAuth app's
 * settings; credvault mints hour-long installation tokens from them.
 * https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation
 */
import { z } from 'zod';
import { kindObject, text, wholeNumber } from '../normalize.js';
import type { KindSpec } from '../types.js';
import { githubRevoke } from '../api/github.js';
import { bearerAt } from '../proxy.js';

const accountType = () =>
  text().transform((v, ctx) => {
    const lower = v.toLowerCase();
    if (lower === 'user') return 'User' as const;
    if (lower === 'organization') return 'Organization' as const;
    ctx.issues.push({ code: 'custom', message: 'must be User or Organization', input: v });
    return z.NEVER;
  });

const schema = kindObject('github_app', {
  installation_id: wholeNumber(),
  account_login: text().optional(),
  account_type: accountType().optional(),
  name: text().optional(),
});

export const githubApp = {
  kind: 'github_app',
  provider: 'github',
  aliases: ['github'],
  schema,
  secretFields: [],
  oauthApp: 'required',
  accessToken: { from: 'mint', checkNeedsToken: true },
  tokenField: null,
  expiryField: null,
  learnable: ['account_login', 'account_type'],
  tenantHosts: [],
  connect: {
    // https://docs.github.com/en/apps/using-github-apps/installing-a-github-app-from-a-third-party
    // The user installs the App; GitHub comes back to its Setup URL with installation_id.
    flow: 'github_app',
    installUrl: (i) =>
      `https://github.com/apps/${encodeURIComponent(typeof i.settings.slug === 'string' ? i.settings.slug : '')}/installations/new`,
    revoke: githubRevoke,
  },
  // Installation tokens are minted and cached by the token path.
  // https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation
  proxy: bearerAt(),
  identity: (p) => ({ value: `installation:${p.installation_id}` }),
} satisfies KindSpec<typeof schema, 'github_app'>;
