import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Session } from './api.ts';

export const SessionContext = createContext<Session | undefined>(undefined);

/** The signed-in session (pages render only inside the signed-in shell). */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a session');
  return s;
}
