/** The /docs page: credvault's title, logo and favicon instead of the framework's. */
const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="180" height="40" viewBox="0 0 180 40"><rect x="2" y="6" width="28" height="28" rx="6" fill="#1f6feb"/><path d="M10 20a6 6 0 1 1 12 0v3h-12z" fill="none" stroke="#fff" stroke-width="2.5"/><rect x="9" y="20" width="14" height="10" rx="2" fill="#fff"/><text x="38" y="27" font-family="Helvetica,Arial,sans-serif" font-size="20" font-weight="700" fill="#ffffff">credvault</text></svg>`;

const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1f6feb"/><path d="M10 16a6 6 0 1 1 12 0v3h-12z" fill="none" stroke="#fff" stroke-width="2.5"/><rect x="9" y="16" width="14" height="10" rx="2" fill="#fff"/></svg>`;

export const DOCS_UI = {
  routePrefix: '/docs',
  theme: {
    title: 'credvault API reference',
    favicon: [
      { filename: 'favicon.svg', rel: 'icon', type: 'image/svg+xml', sizes: 'any', content: Buffer.from(FAVICON_SVG) },
    ],
  },
  logo: { type: 'image/svg+xml', content: Buffer.from(LOGO_SVG), href: '/docs', target: '_self' as const },
};

/** The document's introduction: where the README explains what the reference does not. */
export const API_DESCRIPTION = [
  'Sequin-compatible Management API for third-party credentials and OAuth apps.',
  '',
  'The README of the credvault repository explains, in its sections:',
  '- **Set-up** (embedded or PostgreSQL, master keys, the first admin token) and **Key rotation** (`credvault keys promote`);',
  '- **Kinds**: the fields of each credential kind, also below as the `properties` union on `kind`;',
  '- **Connect**, **Proxy** and **Webhooks**, as those features land;',
  '- **CLI** (`credvault login`, `credvault --help`) and the **typed client** (`credvault/client`).',
  '',
  'Every error answers `{ "summary": ... }`; a 422 adds `validation_errors` keyed by field path.',
].join('\n');
