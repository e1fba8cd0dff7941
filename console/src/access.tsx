/**
 * What the signed-in person may do, from `GET /admin/me` (the routes their role opens, as
 * shared/domain/access.ts declares them): the console hides the rest rather than offer a button
 * that would be refused.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

export interface Me {
  name: string;
  role?: string;
  routes: string[];
}

export const MeContext = createContext<Me | undefined>(undefined);

/** Whether the person may call the route (while /admin/me loads, nothing is hidden). */
export function useCan(): (routeKey: string) => boolean {
  const me = useContext(MeContext);
  return (routeKey) => !me || me.routes.includes(routeKey);
}

/** What a role that may not make a change sees instead of the button. */
export function ReadOnly({ what }: { what: string }) {
  const me = useContext(MeContext);
  return (
    <span class="help">{`Your role (${me?.role ?? 'this token'}) can read ${what}, not change it.`}</span>
  );
}
