/** 011: OAuth apps list the redirect_url values a Connect flow may end on (exact match; docs: Connect). */
export const sql = /* sql */ `
ALTER TABLE oauth_apps ADD COLUMN redirect_urls jsonb NOT NULL DEFAULT '[]'::jsonb;
`;
