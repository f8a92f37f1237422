/**
 * Revoke on delete (docs: Connect; DELETE /v1/credentials/{id}?revoke=true): the grant is
 * revoked at the provider where it has a revocation endpoint, then the credential is deleted. A
 * provider failure keeps the credential unless `force`. The note never carries a secret.
 */
import type { CredentialService } from '../credentials/service.js';
import { rebase } from '../providers/connect.js';
import type { OAuthAppSecrets, ProviderContext, ProviderModule } from '../providers/module.js';
import { type Kind, type Provider, kindSpec } from '../providers/registry.js';
import { AppError, NotFoundError } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';

export interface PlainCredential {
  kind: Kind;
  provider: Provider;
  /** Properties with the secrets opened. */
  properties: Record<string, unknown>;
  app?: OAuthAppSecrets;
}

export interface RevokerDeps {
  plain(accountId: string, id: string): Promise<PlainCredential | undefined>;
  modules: Record<Provider, ProviderModule>;
  context(module: ProviderModule, app?: OAuthAppSecrets): ProviderContext;
  providerUrls: Partial<Record<Provider, string>>;
  credentials: Pick<CredentialService, 'remove'>;
}

export interface RevokeAnswer {
  id: string;
  deleted: boolean;
  revoked: boolean;
  revoke_note: string | null;
}

/** Thrown when the provider failed and `force` was not given: the credential is kept. */
export class RevokeFailedError extends AppError {
  readonly answer: RevokeAnswer;
  constructor(answer: RevokeAnswer) {
    super(502, answer.revoke_note ?? 'The provider did not confirm the revocation; the credential was kept.');
    this.answer = answer;
  }
}

export function createRevoker(d: RevokerDeps) {
  return async (accountId: string, id: string, force: boolean, actorTokenId: string | null): Promise<RevokeAnswer> => {
    const cred = isUuid(id) ? await d.plain(accountId, id) : undefined;
    if (!cred) throw new NotFoundError('credential');
    const flow = kindSpec(cred.kind).connect;
    const module = d.modules[cred.provider];
    let revoked = false;
    let note: string | null = null;
    if (flow.flow === 'key' || flow.revoke === undefined) {
      note = `${module.displayName} has no endpoint credvault can call to revoke a ${cred.kind} credential; revoke it in ${module.displayName} itself. The credential was deleted from credvault.`;
    } else {
      const override = d.providerUrls[cred.provider];
      const res = await flow.revoke(
        { kind: cred.kind, properties: cred.properties },
        d.context(module, cred.app),
        (real) => rebase(real, override),
      );
      if (res.ok) revoked = true;
      else {
        note = `${module.displayName} did not confirm the revocation (${res.reason}): ${res.note}`;
        if (!force)
          throw new RevokeFailedError({
            id,
            deleted: false,
            revoked: false,
            revoke_note: `${note} The credential was kept; retry, or send force=true to delete it anyway.`,
          });
      }
    }
    await d.credentials.remove(accountId, id, actorTokenId);
    return { id, deleted: true, revoked, revoke_note: note };
  };
}

export type Revoker = ReturnType<typeof createRevoker>;
