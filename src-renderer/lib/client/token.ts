/**
 * The head node's access token arrives in the URL fragment (`#token=…`), which browsers never
 * send to a server. It is moved to sessionStorage (this tab only, gone when it closes, so a reload
 * keeps working) and removed from the address bar, the history and any bookmark made later.
 */

const KEY = 'kestrel.token';

// Structural types (not the DOM's): this module is also unit-tested under Node.
export interface TokenPlaces {
  location: { hash: string; pathname: string; search: string };
  history: { state: unknown; replaceState(state: unknown, unused: string, url: string): void };
  storage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
}

export function takeToken(
  location: TokenPlaces['location'],
  history: TokenPlaces['history'],
  storage: TokenPlaces['storage'],
): string | undefined {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const fromUrl = params.get('token');
  if (fromUrl !== null && fromUrl !== '') {
    storage.setItem(KEY, fromUrl);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(
      history.state,
      '',
      `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`,
    );
    return fromUrl;
  }
  return storage.getItem(KEY) ?? undefined;
}
