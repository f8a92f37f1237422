/** Opaque keyset cursor over (created_at desc, id desc). */
export interface CursorPosition {
  createdAt: Date;
  id: string;
}

export function encodeCursor(p: CursorPosition): string {
  return Buffer.from(JSON.stringify([p.createdAt.toISOString(), p.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(v) || v.length !== 2) return undefined;
    const [t, id] = v as unknown[];
    if (typeof t !== 'string' || typeof id !== 'string') return undefined;
    const createdAt = new Date(t);
    if (Number.isNaN(createdAt.getTime())) return undefined;
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    return { createdAt, id };
  } catch {
    return undefined;
  }
}
