import { describe, expect, it } from 'vitest';

import type { Logger } from '../../../../src-main/common/log.ts';
import { createConnectionLimits } from '../../../../src-main/server/connection-limits.ts';

function setup(loopbackIsLocal = true) {
  const lines: string[] = [];
  const log: Logger = {
    info: () => undefined,
    warn: (message, fields) => lines.push(`${message} ${JSON.stringify(fields)}`),
    error: () => undefined,
  };
  const limits = createConnectionLimits({
    maxPerAddress: 2,
    maxLoopback: 3,
    maxUnauthenticated: 3,
    loopbackIsLocal,
    log,
  });
  return { limits, lines };
}

describe('connection limits', () => {
  it('counts per address (an IPv6 /64 as one) and frees a slot once released', () => {
    const { limits } = setup();
    const a = limits.admit('198.51.100.1');
    expect(limits.admit('::ffff:198.51.100.1')).toBeDefined(); // the same address, mapped
    expect(limits.admit('198.51.100.1')).toBeUndefined();
    a?.release();
    a?.release(); // idempotent: frees one slot only
    expect(limits.admit('198.51.100.1')).toBeDefined();
    expect(limits.admit('198.51.100.1')).toBeUndefined();
    expect(limits.admit('2001:db8:0:1::1')).toBeDefined();
    expect(limits.admit('2001:db8:0:1::2')).toBeUndefined(); // 3 unauthenticated already
  });

  it('stops counting a connection as unauthenticated once it binds', () => {
    const { limits } = setup();
    const slots = ['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((ip) => limits.admit(ip));
    expect(limits.admit('192.0.2.4')).toBeUndefined();
    slots[0]?.bound();
    expect(limits.admit('192.0.2.4')).toBeDefined();
    slots[0]?.release(); // bound already: frees the address slot, not another unauthenticated one
    expect(limits.admit('192.0.2.5')).toBeUndefined();
  });

  it('gives loopback sources one budget of their own, unless told they are remote', () => {
    const local = setup().limits;
    for (const ip of ['127.0.0.1', '127.0.0.2', '::1']) expect(local.admit(ip)).toBeDefined();
    expect(local.admit('127.9.9.9')).toBeUndefined();
    expect(local.admit('192.0.2.1')).toBeDefined(); // loopback ones were not unauthenticated
    const remote = setup(false).limits;
    for (const ip of ['127.0.0.1', '127.0.0.1']) expect(remote.admit(ip)).toBeDefined();
    expect(remote.admit('127.0.0.1')).toBeUndefined();
    expect(remote.admit('127.0.0.2')).toBeDefined();
  });

  it('sums refusals up in one log line', () => {
    const { limits, lines } = setup();
    limits.admit('192.0.2.1');
    limits.admit('192.0.2.1');
    for (let i = 0; i < 50; i++) limits.admit('192.0.2.1');
    expect(lines).toHaveLength(0);
    limits.close();
    expect(lines).toEqual([
      'connections refused {"refused":50,"overPerAddressLimit":50,"overUnauthenticatedLimit":0,"addresses":["192.0.2.1 ×50"]}',
    ]);
  });
});
