// Prosody-specific checks of the composition root: which SASL mechanism is chosen, and that
// STARTTLS is used with certificate trust from NODE_EXTRA_CA_CERTS only.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { createXmppClient } from '../../../src-main/xmpp/client.ts';
import { startProsody, type TestProsody } from '../../harness/prosody.ts';

const FIXTURE = fileURLToPath(new URL('../../fixtures/xmpp-client.ts', import.meta.url));
const servers: TestProsody[] = [];

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

async function prosody(options: Parameters<typeof startProsody>[0]): Promise<TestProsody> {
  const server = await startProsody(options);
  servers.push(server);
  await server.createAccount('dora', 'pässwörd');
  return server;
}

/** Logs in with createXmppClient and returns the SASL mechanism it used. */
async function mechanismUsed(server: TestProsody): Promise<string | undefined> {
  const { entity } = createXmppClient({
    service: server.service,
    domain: server.domain,
    username: 'dora',
    password: 'pässwörd',
  });
  let mechanism: string | undefined;
  entity.on('send', (element: { name: string; attrs: Record<string, string> }) => {
    if (element.name === 'auth') mechanism = element.attrs.mechanism;
  });
  await entity.start();
  await entity.stop();
  return mechanism;
}

/** Runs the fixture client with `env`; resolves with whether it came online and its stderr. */
function runFixture(
  server: TestProsody,
  env: Record<string, string>,
): Promise<{ online: boolean; stderr: string }> {
  const config = { service: server.service, domain: server.domain, username: 'dora' };
  const child = spawn(
    process.execPath,
    [FIXTURE, JSON.stringify({ ...config, password: 'pässwörd' })],
    { env: { ...process.env, KESTREL_XMPP_TRACE: '1', ...env } },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (line: string) => {
      if (!line.startsWith('online ')) return;
      child.kill('SIGKILL');
      resolve({ online: true, stderr });
    });
    child.once('exit', () => resolve({ online: false, stderr }));
  });
}

describe('XMPP client composition', () => {
  it('prefers SCRAM-SHA-1 over PLAIN on Prosody’s default SHA-1 store', async () => {
    expect(await mechanismUsed(await prosody({}))).toBe('SCRAM-SHA-1');
  });

  it('uses SCRAM-SHA-256 when the server offers it', async () => {
    expect(await mechanismUsed(await prosody({ passwordHash: 'SHA-256' }))).toBe('SCRAM-SHA-256');
  });

  it('upgrades with STARTTLS, trusting the certificate only via NODE_EXTRA_CA_CERTS', async () => {
    const server = await prosody({ tls: true });
    const trusted = await runFixture(server, { NODE_EXTRA_CA_CERTS: server.certFile ?? '' });
    expect(trusted.online).toBe(true);
    expect(trusted.stderr).toContain('<proceed xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>');

    const untrusted = await runFixture(server, {});
    expect(untrusted.online).toBe(false);
    expect(untrusted.stderr).toMatch(
      /tls_untrusted: the server's certificate is not trusted: it is self-signed/,
    );
  });
});
