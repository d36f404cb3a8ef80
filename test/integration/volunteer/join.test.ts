// Joining a pool from the volunteer's join screen (`volunteer:join`): with an invite link on a
// head node's TLS server, and with an account entered by hand. Each way it can fail reaches the
// renderer with its own code: a bad link, a used link, a certificate that is not the pinned one,
// a wrong password, a server that does not answer.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandlers, JoinRequest } from '../../../shared/api.ts';
import { formatInviteLink } from '../../../shared/invite-link.ts';
import { createVolunteerApi } from '../../../src-main/volunteer/api.ts';
import { createVolunteer } from '../../../src-main/volunteer/controller.ts';
import type { Volunteer } from '../../../src-main/volunteer/volunteer.ts';
import { startEmbedded, type TestEmbedded } from '../../harness/embedded.ts';
import { freePort } from '../../harness/free-port.ts';
import { createPool, type Pool } from '../../harness/pool.ts';
import { submit, waitForState } from '../../harness/volunteer.ts';
import { startTestServer, uniqueUser, type TestXmppServer } from '../../harness/xmpp-server.ts';

let head: TestEmbedded;
let pin: string;
let server: TestXmppServer;
let pool: Pool | undefined;
const opened: { volunteer: Volunteer; dir: string }[] = [];

beforeAll(async () => {
  head = await startEmbedded({ domain: 'pool.test', tls: true });
  pin = new X509Certificate(readFileSync(head.certFile!)).fingerprint256;
  server = await startTestServer();
});
afterAll(async () => {
  await head?.stop();
  await server?.stop();
});
afterEach(async () => {
  for (const { volunteer, dir } of opened.splice(0)) {
    await volunteer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  await pool?.close();
  pool = undefined;
});

/** A freshly installed app: nothing joined yet. */
async function freshApp(): Promise<{ volunteer: Volunteer; api: ApiHandlers; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-join-'));
  const volunteer = createVolunteer({
    env: { KESTREL_DATA_DIR: dir, KESTREL_CONFIG: join(dir, 'none.json') },
    idleSeconds: () => 3600,
    probes: { battery: async () => ({ onBattery: false }) },
    name: 'desk',
    pollMs: 100,
  });
  opened.push({ volunteer, dir });
  await volunteer.start();
  expect(volunteer.snapshot()).toMatchObject({ configured: false, state: 'offline' });
  return { volunteer, api: createVolunteerApi(volunteer, { version: 'test' }).handlers, dir };
}

const invite = (token: string, pinned = pin) =>
  formatInviteLink({
    server: `127.0.0.1:${head.port}`,
    domain: 'pool.test',
    manager: 'manager@pool.test',
    token,
    pin: pinned,
  });

async function joinFails(request: JoinRequest, code: string, message: RegExp): Promise<void> {
  const { api, volunteer } = await freshApp();
  const failure = await api['volunteer:join']!(request).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toMatchObject({ code });
  expect((failure as Error).message).toMatch(message);
  expect(volunteer.snapshot().configured).toBe(false);
}

describe('joining by invite link', () => {
  it('registers an account, keeps it, and logs in over the pinned TLS', async () => {
    const { api, volunteer, dir } = await freshApp();
    const link = invite(head.server().invites.create().token);
    const joined = await api['volunteer:join']!({ link });
    expect(joined).toMatchObject({ configured: true, manager: 'manager@pool.test' });
    expect(joined.jid).toMatch(/@pool\.test/);
    expect(statSync(join(dir, 'joined.json')).mode & 0o777).toBe(0o600);
    await waitForState(volunteer, (s) => s.state === 'idle', 'online');

    // The same one-time link, on another machine: spent.
    await joinFails({ link }, 'invite_used', /refused the invite \(used or expired\)/);
  });

  it('says which part of a link is wrong, or that the certificate is not the pinned one', async () => {
    await joinFails(
      { link: 'https://pool.test/join' },
      'bad_invite',
      /not a kestrel:\/\/join link/,
    );
    await joinFails(
      { link: invite(head.server().invites.create().token).replace(/&token=[^&]+/, '') },
      'bad_invite',
      /has no token/,
    );
    await joinFails(
      { link: invite(head.server().invites.create().token, 'ab'.repeat(32)) },
      'pin_mismatch',
      /not the one the invite names/,
    );
  });
});

describe('joining with an account entered by hand', () => {
  it('says the password is wrong, or the server does not answer; a right one works', async () => {
    pool = await createPool(server);
    const user = uniqueUser('hand');
    await server.createAccount(user, 'right-password');
    const account = {
      server: server.service,
      jid: `${user}@${server.domain}`,
      password: 'wrong-password',
      manager: pool.managerJid,
    };
    await joinFails(account, 'wrong_password', /refused the account/);
    const port = await freePort();
    await joinFails({ ...account, server: `127.0.0.1:${port}` }, 'unreachable', /does not answer/);

    const { api, volunteer } = await freshApp();
    await volunteer.setSettings({ otherCpuLimit: 0, notOnBattery: false, minFreeMemoryPercent: 0 });
    expect(await api['volunteer:join']!({ ...account, password: 'right-password' })).toMatchObject({
      configured: true,
      manager: pool.managerJid,
    });
    await waitForState(volunteer, (s) => s.state === 'idle', 'online and waiting for tasks');
    const alice = await pool.user();
    const jobId = await submit(alice, 'echo joined', 1);
    await alice.waitFor((r) => r.type === 'job_finished' && r.job_id === jobId);
    expect(volunteer.history().items).toMatchObject([{ jobId, exitCode: 0 }]);
  });
});
