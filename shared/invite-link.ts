/**
 * The `kestrel://join?…` link an invite prints: everything a volunteer's worker needs to register
 * its own account and join — the server's address, the domain, the manager, a one-time token and
 * the fingerprint of the server's certificate (so the self-signed certificate can be trusted).
 */
export interface InviteLink {
  server: string;
  domain: string;
  manager: string;
  token: string;
  pin?: string;
}

export class InviteLinkError extends Error {
  readonly code = 'bad_invite';
}

export function formatInviteLink(link: InviteLink): string {
  const params = new URLSearchParams({
    server: link.server,
    domain: link.domain,
    manager: link.manager,
    token: link.token,
  });
  if (link.pin !== undefined) params.set('pin', link.pin.replace(/:/g, '').toLowerCase());
  return `kestrel://join?${params.toString()}`;
}

export function parseInviteLink(text: string): InviteLink {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new InviteLinkError('not a kestrel://join link');
  }
  if (
    url.protocol !== 'kestrel:' ||
    (url.hostname !== 'join' && url.pathname.replace(/^\/+/, '') !== 'join')
  ) {
    throw new InviteLinkError('not a kestrel://join link');
  }
  const get = (key: string) => {
    const value = url.searchParams.get(key);
    if (value === null || value === '') throw new InviteLinkError(`the invite link has no ${key}`);
    return value;
  };
  const pin = url.searchParams.get('pin') ?? undefined;
  if (pin !== undefined && !/^[0-9a-f]{64}$/i.test(pin))
    throw new InviteLinkError('the invite link has a malformed pin');
  return {
    server: get('server'),
    domain: get('domain'),
    manager: get('manager'),
    token: get('token'),
    ...(pin === undefined ? {} : { pin }),
  };
}
