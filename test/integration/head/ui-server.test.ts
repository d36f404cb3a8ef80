// The head node's HTTP API and static files, against a real `kestrel head --ui-port 0` with a
// real worker: who may call (token, Host, Origin), what is served (CSP, no traversal), how bad
// input is answered, and the renderer's own HTTP client receiving pushed progress.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvents } from '../../../shared/api.ts';
import { createHttpClient } from '../../../src-renderer/lib/client/http-client.ts';
import {
  requireBuiltRenderer,
  startHeadProcess,
  type HeadProcess,
} from '../../harness/head-process.ts';

let head: HeadProcess;
let port: number;

beforeAll(async () => {
  requireBuiltRenderer();
  head = await startHeadProcess('ui.test');
  port = Number(new URL(head.origin).port);
});

afterAll(async () => {
  await head?.stop();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One HTTP request exactly as given: the path is not normalized, the headers are ours. */
function raw(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: { host: `127.0.0.1:${port}`, ...options.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const api = (verb: string, body: string, headers: Record<string, string> = {}) =>
  raw(`/api/${verb}`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${head.token}`,
      ...headers,
    },
  });

describe('kestrel head --ui-port', () => {
  it('prints the ops UI line with a random token', () => {
    expect(head.process.output()).toMatch(
      /^ops UI: http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}$/m,
    );
  });

  it('refuses API calls without the token, or with a wrong one (401)', async () => {
    const none = await raw('/api/pool/summary', {
      method: 'POST',
      body: '[]',
      headers: { 'content-type': 'application/json' },
    });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect(none.headers['www-authenticate']).toBe('Bearer realm="kestrel"');
    for (const authorization of [
      'Bearer wrong',
      `Bearer ${head.token}x`,
      head.token,
      `Basic ${head.token}`,
    ]) {
      expect((await api('pool/summary', '[]', { authorization })).status, authorization).toBe(401);
    }
    expect((await raw('/api/events')).status).toBe(401);
    expect((await api('pool/summary', '[]')).status).toBe(200);
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin with 403, even with the token', async () => {
    const rebound = await api('pool/summary', '[]', { host: `attacker.example:${port}` });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.text)).toMatchObject({ error: { code: 'forbidden' } });
    expect((await raw('/', { headers: { host: `attacker.example:${port}` } })).status).toBe(403);
    expect((await api('pool/summary', '[]', { host: '127.0.0.1:1' })).status).toBe(403);
    const crossSite = await api('jobs/submit', '[{"command":"rm -rf ~","queue":1}]', {
      origin: 'http://attacker.example',
    });
    expect(crossSite.status).toBe(403);
    expect(JSON.parse(crossSite.text).error.message).toBe(
      'requests from http://attacker.example are not accepted',
    );
    expect(JSON.parse((await api('jobs/list', '[{}]')).text).result.total).toBe(0);
    // Its own names are fine.
    expect((await api('pool/summary', '[]', { host: `localhost:${port}` })).status).toBe(200);
    expect((await api('pool/summary', '[]', { origin: `http://127.0.0.1:${port}` })).status).toBe(
      200,
    );
  });

  it('serves the built renderer with a strict CSP, and nothing outside it', async () => {
    const index = await raw('/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toMatch(
      /^default-src 'self'; script-src 'self';/,
    );
    expect(index.headers['content-security-policy']).not.toMatch(/unsafe/);
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['set-cookie']).toBeUndefined();
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(index.text)?.[1];
    expect((await raw(`/${script}`)).headers['content-type']).toBe(
      'text/javascript; charset=utf-8',
    );
    // A directory is not listed.
    expect((await raw('/assets/')).status).toBe(404);
    for (const path of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/assets/..%2f..%2f..%2fpackage.json',
      '/..%2f..%2fpackage.json',
      '/..%5c..%5cpackage.json',
      '/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/index.html%00.js',
    ]) {
      const answer = await raw(path);
      expect(answer.status, path).toBe(404);
      expect(answer.text, path).not.toMatch(/"name": "kestrel"|root:/);
    }
  });

  it('answers malformed JSON, arguments that are not a list and bad fields with clear errors', async () => {
    const cases: [string, string, number, string, RegExp][] = [
      [
        'jobs/submit',
        '{"command": "echo",',
        400,
        'bad_request',
        /^the body must be a JSON list of arguments/,
      ],
      ['jobs/get', '{"jobId": 1}', 400, 'invalid_field', /^arguments must be a list$/],
      [
        'jobs/submit',
        '[{"command":"echo","queue":0}]',
        400,
        'invalid_field',
        /^field 'queue' must be a whole number from 1 to 10000000 \(got 0\)$/,
      ],
      [
        'jobs/submit',
        '[{"command":"echo","queue":1,"requries":["gpu"]}]',
        400,
        'invalid_field',
        /did you mean 'requires'/,
      ],
      ['jobs/get', '[{"jobId":999}]', 404, 'unknown_job', /^no job 999 of yours$/],
      ['jobs/launch', '[]', 404, 'unknown_method', /^no method jobs:launch$/],
      ['volunteer/pause', '[]', 501, 'unavailable', /not offered here/],
    ];
    for (const [verb, body, status, code, message] of cases) {
      const answer = await api(verb, body);
      expect(answer.status, `${verb} ${body}`).toBe(status);
      const reply = JSON.parse(answer.text) as {
        ok: boolean;
        error: { code: string; message: string };
      };
      expect(reply.ok).toBe(false);
      expect(reply.error.code).toBe(code);
      expect(reply.error.message).toMatch(message);
    }
    const plain = await api('jobs/list', '[]', { 'content-type': 'text/plain' });
    expect(plain.status).toBe(415);
    const huge = await api('jobs/submit', `[{"command":"${'x'.repeat(1 << 20)}","queue":1}]`);
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.text).error.code).toBe('too_large');
    expect(
      (await raw('/api/jobs/list', { headers: { authorization: `Bearer ${head.token}` } })).status,
    ).toBe(400);
  });

  it('acts as the head’s admin and pushes progress to the renderer’s own client', async () => {
    await head.startWorker('pc-1', { slots: 2 });
    const client = createHttpClient({ base: head.origin, token: head.token });
    try {
      const info = await client.call('app:info');
      expect(info).toMatchObject({ mode: 'head', caller: { jid: 'admin@ui.test', admin: true } });
      const online = new Promise<void>((resolve) =>
        client.on('app:connection', (c) => c.online && resolve()),
      );
      const finished = new Promise<ApiEvents['jobs:finished']>((resolve) =>
        client.on('jobs:finished', resolve),
      );
      const changed: ApiEvents['jobs:changed'][] = [];
      client.on('jobs:changed', (e) => changed.push(e));
      await online;
      const { jobId } = await client.call('jobs:submit', { command: 'echo', queue: 5 });
      expect(await finished).toEqual({
        jobId,
        counts: { queued: 0, running: 0, done: 5, failed: 0, cancelled: 0 },
      });
      expect(
        changed.flatMap((e) => e.jobs).some((j) => j.jobId === jobId && j.state === 'finished'),
      ).toBe(true);
      expect(await client.call('jobs:get', { jobId })).toMatchObject({
        owner: 'admin@ui.test',
        state: 'finished',
        counts: { done: 5 },
      });
      const workers = await client.call('pool:workers', {});
      expect(workers.items.map((w) => w.name)).toEqual(['pc-1']);
    } finally {
      client.close();
    }
  });
});
