import { describe, expect, it } from 'vitest';
import { formatInviteLink, parseInviteLink } from '../../../shared/invite-link.ts';

describe('invite links', () => {
  it('round-trips every field, with the pin in compact form', () => {
    const link = {
      server: 'lab.example:5222',
      domain: 'lab.example',
      manager: 'manager@lab.example',
      token: 'tok_en-123',
      pin: 'AB:'.repeat(31) + 'AB',
    };
    const text = formatInviteLink(link);
    expect(text).toMatch(
      /^kestrel:\/\/join\?server=lab.example%3A5222&domain=lab.example&manager=manager%40lab.example&token=tok_en-123&pin=(ab){32}$/,
    );
    expect(parseInviteLink(text)).toEqual({ ...link, pin: 'ab'.repeat(32) });
  });

  it('refuses links that are not invites or lack a field', () => {
    expect(() => parseInviteLink('https://example.com')).toThrow(/not a kestrel:\/\/join link/);
    expect(() => parseInviteLink('kestrel://join?server=a&domain=b&manager=c')).toThrow(/no token/);
    expect(() =>
      parseInviteLink('kestrel://join?server=a&domain=b&manager=c&token=t&pin=xyz'),
    ).toThrow(/pin/);
  });
});
