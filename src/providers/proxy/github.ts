/** Installation tokens are minted and cached by the token path. https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation */
import { bearerAt, type ProxyTarget } from './types.js';

export const githubAppProxy: ProxyTarget = bearerAt();
