// The hostile-input tally (see ../hostile/probe.ts) for the embedded server's own suites: every
// hostile input counts as tried, then as refused or allowed as the rules say, or as answered
// otherwise; a crash is the server no longer letting a bystander log in.
import { expect } from 'vitest';

import { rawLogin } from '../../harness/raw-xmpp.ts';
import type { TestEmbedded } from '../../harness/embedded.ts';
import { createTally, report, type Tally } from '../hostile/probe.ts';

export { createTally, report, type Tally };

/** Counts one input whose outcome `got` should be `want`, and fails the test if it is not. */
export function expectOutcome(
  tally: Tally,
  label: string,
  expected: 'refused' | 'allowed',
  got: string,
  want: string,
): void {
  tally.tried += 1;
  if (got === want) tally[expected] += 1;
  else tally.unexpected.push(`${label} → ${got} (wanted ${want})`);
  expect(got, label).toBe(want);
}

/** 1 if a bystander can no longer log in and bind (the server is gone or stuck), else 0. */
export async function crashed(
  server: TestEmbedded,
  user: string,
  password: string,
): Promise<number> {
  try {
    const raw = await rawLogin(server.port, server.domain, user, password, 'bystander');
    raw.destroy();
    return 0;
  } catch {
    return 1;
  }
}
