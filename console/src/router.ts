/** Hash routes (`#/templates/welcome-kit`): the console is static files, any host can serve it. */
import { useEffect, useState } from 'preact/hooks';

function parts(): string[] {
  return (
    location.hash
      .replace(/^#\/?/, '')
      .split('?')[0]
      ?.split('/')
      .filter(Boolean)
      .map((part) => decodeURIComponent(part)) ?? []
  );
}

export function useRoute(): string[] {
  const [route, setRoute] = useState(parts);
  useEffect(() => {
    const changed = () => setRoute(parts());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

export function href(...segments: string[]): string {
  return `#/${segments.map((segment) => encodeURIComponent(segment)).join('/')}`;
}

export function navigate(...segments: string[]) {
  location.hash = href(...segments);
}
