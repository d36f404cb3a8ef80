// Conformance from a client we did not write: Debian's slixmpp logs in to a head node over
// STARTTLS with SCRAM and runs a job with the seed-001 single-quoted dict, as a person would
// from any IM client.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src-main/common/log.ts';
import { startHeadNode, type HeadNode } from '../../../src-main/head/head-node.ts';
import { createExecutor } from '../../../src-main/worker/executor.ts';
import { createWorkerService, type WorkerService } from '../../../src-main/worker/service.ts';
import { createConnection } from '../../../src-main/xmpp/connection.ts';
import { startSlixmpp, type SlixmppClient } from '../../harness/slixmpp.ts';

let dir: string;
let head: HeadNode;
let worker: WorkerService;
let slix: SlixmppClient | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kestrel-slix-job-'));
  head = await startHeadNode({
    dataDir: dir,
    domain: 'lab.test',
    port: 0,
    host: '127.0.0.1',
    log: silentLogger,
  });
  await head.server.accounts.add('w1', 'w1-password', ['worker']);
  await head.server.accounts.add('alice', 'alice-password', ['submitter']);
  worker = createWorkerService({
    connection: createConnection({
      service: head.service,
      domain: 'lab.test',
      username: 'w1',
      password: 'w1-password',
      resource: 'w1',
      ca: head.ca,
      acceptSubscription: (jid) => jid === head.config.manager.jid,
    }),
    manager: head.config.manager.jid,
    executor: createExecutor({ workRoot: join(dir, 'work') }),
    profile: { os: 'Linux', ram: 1024, cores: 2, provides: [], slots: 2 },
    log: silentLogger,
  });
  await worker.start();
});

afterAll(async () => {
  slix?.kill();
  await worker?.stop();
  await head?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('slixmpp against a head node', () => {
  it('submits a job in the single-quoted form over STARTTLS and gets job_started and job_finished', async () => {
    slix = startSlixmpp({
      jid: 'alice@lab.test/gajim',
      password: 'alice-password',
      host: '127.0.0.1',
      port: head.port,
      ca_certs: head.server.certFile,
      send: [{ to: head.config.manager.jid, body: `{'type':'job', 'command':"echo", 'queue':5}` }],
    });
    await slix.waitFor((e) => e.event === 'tls');
    const fromManager = (type: string) => (e: Record<string, unknown>) =>
      e.event === 'message' && typeof e.body === 'string' && e.body.includes(`"type":"${type}"`);
    const started = await slix.waitFor(fromManager('job_started'));
    const jobId = (JSON.parse(String(started.body)) as { job_id: number }).job_id;
    const finished = await slix.waitFor(fromManager('job_finished'), 30_000);
    expect(JSON.parse(String(finished.body))).toEqual({
      type: 'job_finished',
      job_id: jobId,
      done: 5,
      failed: 0,
      cancelled: 0,
    });
    expect(String(finished.sender)).toMatch(/^manager@lab\.test\//);
  });

  it('answers help typed in an IM client with readable text, not JSON', async () => {
    const im = startSlixmpp({
      jid: 'alice@lab.test/pidgin',
      password: 'alice-password',
      host: '127.0.0.1',
      port: head.port,
      ca_certs: head.server.certFile,
      send: [
        { to: head.config.manager.jid, body: 'help' },
        { to: head.config.manager.jid, body: 'what can you do?' },
      ],
    });
    try {
      const messages = () =>
        im.events.filter((e) => e.event === 'message').map((e) => String(e.body));
      await im.waitFor(() => messages().length >= 2);
      const texts = messages();
      const [help, sorry] = texts;
      expect(help).toMatch(/^Kestrel takes these commands/);
      expect(help).toContain("\n  {'type':'status'}\n"); // real line breaks, no \n escapes
      expect(() => JSON.parse(help ?? '')).toThrow();
      expect(sorry).toMatch(/^Sorry: .+\n\nKestrel takes these commands/s);
    } finally {
      im.kill();
    }
  });
});
