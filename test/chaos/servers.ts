// The XMPP server under chaos, each kind in a process of its own so its memory can be read from
// /proc: Prosody and ejabberd as the harness runs them, the embedded server through
// embedded-child.ts.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { startEjabberd } from '../harness/ejabberd.ts';
import { startEjabberdCluster } from '../harness/ejabberd-cluster.ts';
import { startProsody } from '../harness/prosody.ts';
import type { TestXmppServer } from '../harness/xmpp-server.ts';

export const SERVER_KINDS = ['prosody', 'embedded', 'ejabberd', 'ejabberd-cluster'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

export interface ChaosServer extends TestXmppServer {
  /** The server process now (a restart may replace it); a cluster's first node. */
  pid(): number | undefined;
  /** A cluster: node `i` dies (SIGKILL), and starts again. */
  killNode?(i: number): Promise<void>;
  startNode?(i: number): Promise<void>;
}

const ROOT = join(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const START_TIMEOUT_MS = 30_000;

export function startChaosServer(kind: ServerKind): Promise<ChaosServer> {
  if (kind === 'prosody') return startProsody();
  if (kind === 'ejabberd') return startEjabberd();
  if (kind === 'ejabberd-cluster') return startEjabberdCluster();
  return startEmbeddedProcess();
}

export function parseServerKind(value: string): ServerKind {
  const kind = SERVER_KINDS.find((k) => k === value);
  if (kind === undefined)
    throw new Error(`unknown server kind '${value}' (known: ${SERVER_KINDS.join(', ')})`);
  return kind;
}

interface Answer {
  id?: number;
  ok?: boolean;
  error?: string;
  ready?: boolean;
  service?: string;
  domain?: string;
}

async function startEmbeddedProcess(): Promise<ChaosServer> {
  const child = spawn(NODE, [join(import.meta.dirname, 'embedded-child.ts')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const ready = new Promise<Answer>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('embedded server did not start')),
      START_TIMEOUT_MS,
    );
    void exited.then(() => reject(new Error('embedded server exited during start')));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const answer = JSON.parse(line) as Answer;
      if (answer.ready) {
        clearTimeout(timer);
        resolve(answer);
        return;
      }
      const waiter = pending.get(answer.id ?? 0);
      pending.delete(answer.id ?? 0);
      if (answer.ok) waiter?.resolve();
      else waiter?.reject(new Error(answer.error ?? 'embedded server command failed'));
    });
  });
  const { service, domain } = await ready;
  const ask = (command: object) =>
    new Promise<void>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.stdin.write(`${JSON.stringify({ id, ...command })}\n`);
    });
  return {
    kind: 'embedded',
    domain: domain ?? '',
    service: service ?? '',
    pid: () => child.pid,
    createAccount: (user, password) => ask({ op: 'account', user, password }),
    restart: () => ask({ op: 'restart' }),
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Resident memory of a process in MB, from /proc (undefined once it is gone). */
export function rssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Math.round(Number(match[1]) / 102.4) / 10 : undefined;
  } catch {
    return undefined;
  }
}
