/** 007: an operator-chosen bootstrap token was listed with its first 12 characters (part of the secret). */
export const sql = /* sql */ `
-- Generated tokens start with cv_ (their listed prefix is cv_live_ plus 4 random characters);
-- any other token was chosen by an operator, and lists show none of its characters.
UPDATE api_tokens SET token_prefix = 'operator-chosen' WHERE token_prefix NOT LIKE 'cv\\_%';
`;
