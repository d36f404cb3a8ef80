import { describe, expect, it } from 'vitest';

import { createAuthThrottle, type Verdict } from '../../../../src-main/server/auth-throttle.ts';
import { addressKey, isLoopbackAddress } from '../../../../src-main/server/source-address.ts';
import type { Logger } from '../../../../src-main/common/log.ts';

/** A throttle on a hand-moved clock, with a log that keeps its lines. */
function setup(options: Parameters<typeof createAuthThrottle>[0] = {}) {
  const clock = { now: 0 };
  const lines: string[] = [];
  const log: Logger = {
    info: () => undefined,
    warn: (message, fields) => lines.push(`${message} ${JSON.stringify(fields)}`),
    error: () => undefined,
  };
  const throttle = createAuthThrottle({ now: () => clock.now, log, ...options });
  let checked = 0;
  /** One attempt: what the client is told ('granted', 'denied' or 'locked'). */
  const login = async (user: string | undefined, address: string, right: boolean) => {
    const result = await throttle.attempt(
      user,
      address,
      () => {
        checked++;
        return right;
      },
      (ok): Verdict => (ok ? 'granted' : 'denied'),
    );
    return result.locked ? 'locked' : result.outcome ? 'granted' : 'denied';
  };
  return { clock, lines, login, checked: () => checked, throttle };
}

describe('login throttle', () => {
  it('locks an account out from an address after 5 failures, right password included', async () => {
    const { login, checked } = setup();
    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await login('victim', '10.0.0.9', false));
    expect(replies).toEqual(Array(5).fill('denied'));
    expect(await login('victim', '10.0.0.9', true)).toBe('locked');
    expect(await login('victim', '10.0.0.9', false)).toBe('locked');
    expect(checked()).toBe(5); // a locked attempt never looks at the password
  });

  it('doubles each lockout up to the cap, and lets the owner in once it expires', async () => {
    const { clock, login, lines } = setup({ lockoutMs: 1_000, maxLockoutMs: 4_000 });
    for (let i = 0; i < 5; i++) await login('victim', '10.0.0.9', false);
    const lockouts: number[] = [];
    for (let round = 0; round < 5; round++) {
      // Find when the lockout ends, in 100 ms steps: the server's behaviour, not a timer.
      const start = clock.now;
      while ((await login('victim', '10.0.0.9', false)) === 'locked') clock.now += 100;
      lockouts.push(clock.now - start);
    }
    expect(lockouts).toEqual([1_000, 2_000, 4_000, 4_000, 4_000]);
    // One log line per lockout begun (6 of them), none for the refused attempts in between.
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/login locked out .*"username":"victim".*"address":"10.0.0.9"/);
    clock.now += 4_000;
    expect(await login('victim', '10.0.0.9', true)).toBe('granted');
    expect(await login('victim', '10.0.0.9', false)).toBe('denied'); // the count starts again
  });

  it('keeps other addresses, and pairs that logged in before, out of one address’s lockout', async () => {
    const { login } = setup();
    expect(await login('owner', '192.0.2.1', true)).toBe('granted'); // a known pair from now on
    for (let i = 0; i < 40; i++) await login('owner', `198.51.100.${i}`, false);
    // 40 failures from everywhere lock the account for addresses it never logged in from…
    expect(await login('owner', '203.0.113.7', true)).toBe('locked');
    // …but not for its own.
    expect(await login('owner', '192.0.2.1', true)).toBe('granted');
  });

  it('caps the lockout of an account from everywhere at a minute', async () => {
    const { clock, login } = setup({ maxLockoutMs: 15 * 60_000 });
    for (let i = 0; i < 60; i++) await login('target', `198.51.100.${i}`, false);
    expect(await login('target', '203.0.113.7', true)).toBe('locked');
    clock.now += 60_000;
    expect(await login('target', '203.0.113.7', true)).toBe('granted');
  });

  it('locks an address out after 20 failures on any accounts, and forgets after an hour', async () => {
    const { clock, login } = setup();
    for (let i = 0; i < 20; i++) await login(`user${i}`, '198.51.100.1', false);
    expect(await login('someone-else', '198.51.100.1', true)).toBe('locked');
    expect(await login('someone-else', '198.51.100.2', true)).toBe('granted');
    expect(await login(undefined, '198.51.100.1', false)).toBe('locked'); // invalid names too
    clock.now += 3_600_001;
    expect(await login('someone-else', '198.51.100.1', true)).toBe('granted');
  });

  it('counts an IPv6 /64 as one address and a mapped IPv4 address as itself', async () => {
    const { login } = setup();
    for (let i = 0; i < 5; i++) await login('victim', `2001:db8:1:2::${i + 1}`, false);
    expect(await login('victim', '2001:db8:1:2:ffff::9', true)).toBe('locked');
    expect(await login('victim', '2001:db8:1:3::1', true)).toBe('granted');
    expect(addressKey('::ffff:192.0.2.5')).toBe('192.0.2.5');
    expect(addressKey('2001:DB8::1')).toBe('2001:db8:0:0::/64');
    expect(isLoopbackAddress('::ffff:127.0.0.2')).toBe(true);
    expect(isLoopbackAddress('::1')).toBe(true);
    expect(isLoopbackAddress('10.0.0.1')).toBe(false);
  });

  it('decides concurrent attempts on one account one after another', async () => {
    const { throttle } = setup();
    let running = 0;
    let most = 0;
    const slowWrong = async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      return false;
    };
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        throttle.attempt('victim', '10.0.0.9', slowWrong, (ok): Verdict =>
          ok ? 'granted' : 'denied',
        ),
      ),
    );
    expect(most).toBe(1);
    // Exactly 5 verdicts, however many connections guessed at once.
    expect(results.filter((r) => !r.locked)).toHaveLength(5);
  });

  it('holds back the verdict per recent failure, success and failure alike', async () => {
    const { throttle } = setup({ stepMs: 100 });
    const delays: number[] = [];
    for (const right of [false, false, false, true]) {
      const result = await throttle.attempt(
        'u',
        '10.0.0.9',
        () => right,
        (ok) => (ok ? 'granted' : 'denied'),
      );
      delays.push(result.locked ? -1 : result.delayMs);
    }
    expect(delays).toEqual([0, 100, 200, 300]);
  });
});
