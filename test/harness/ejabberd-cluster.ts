// A two-node ejabberd cluster on this machine for tests (recipe: /work/shared/reference/
// scale-out.md): both nodes share one Erlang distribution port, each listening on a loopback
// address of its own (127.0.0.1, 127.0.0.2), so they find each other without epmd; their c2s
// ports differ, on 127.0.0.1. Node 2 joins node 1 before any client connects (joining restarts
// it), with fresh spools every run, and accounts are registered after.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { isAlive } from './detached.ts';
import { freePorts, prepareNode, type EjabberdNode } from './ejabberd.ts';
import { registerInBand } from './prosody.ts';
import type { TestXmppServer } from './xmpp-server.ts';

export interface TestEjabberdCluster extends TestXmppServer {
  /** c2s addresses of the nodes, node 1 first (the same as `services`). */
  services: string[];
  /** The beam of node `i` (0-based), while it runs. */
  pid(i?: number): number | undefined;
  /** Node `i` dies: SIGKILL of its beam (no stream is closed, no presence sent). */
  killNode(i: number): Promise<void>;
  /** Starts node `i` again; it rejoins the cluster by itself. */
  startNode(i: number): Promise<void>;
}

const JOIN_TIMEOUT_MS = 30_000;

export async function startEjabberdCluster(
  options: { domain?: string } = {},
): Promise<TestEjabberdCluster> {
  const domain = options.domain ?? 'kestrel.test';
  const dir = await mkdtemp(join(tmpdir(), 'kestrel-ejabberd-cluster-'));
  // ejabberdctl runs each node as the `ejabberd` user: it must reach the nodes' directories.
  await chmod(dir, 0o755);
  const [c1 = 0, c2 = 0, distPort = 0] = await freePorts(3);
  const nodes: EjabberdNode[] = [];
  const killOnExit = () => {
    for (const node of nodes) {
      const beam = node.pid();
      if (beam !== undefined && isAlive(beam)) process.kill(beam, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  try {
    for (const [i, port] of [c1, c2].entries()) {
      nodes.push(
        await prepareNode({
          dir: join(dir, `n${i + 1}`),
          domain,
          port,
          distPort,
          // A dot in the host part: long names, as every node of the cluster must use.
          nodeName: `k${i + 1}-${distPort}@127.0.0.${i + 1}`,
          distAddress: `127.0.0.${i + 1}`,
        }),
      );
    }
    const [first, second] = nodes as [EjabberdNode, EjabberdNode];
    await Promise.all([first.launch(), second.launch()]);
    await second.ctl('--no-timeout', 'join_cluster', first.settings.nodeName);
    await untilJoined(first, second);
  } catch (error) {
    await Promise.allSettled(nodes.map((n) => n.halt(false)));
    process.off('exit', killOnExit);
    const logs = await Promise.all(nodes.map((n) => n.log()));
    await rm(dir, { recursive: true, force: true });
    throw new Error(`ejabberd cluster did not start: ${error}\n${logs.join('\n---\n')}`, {
      cause: error,
    });
  }
  const services = [c1, c2].map((port) => `xmpp://127.0.0.1:${port}`);
  const node = (i: number) => {
    const n = nodes[i];
    if (n === undefined) throw new Error(`no node ${i} in a cluster of ${nodes.length}`);
    return n;
  };
  return {
    kind: 'ejabberd-cluster',
    domain,
    service: services[0] ?? '',
    services,
    pid: (i = 0) => node(i).pid(),
    createAccount: (user, password) => registerInBand(c1, domain, user, password),
    killNode: (i) => node(i).halt(false),
    startNode: (i) => node(i).launch(),
    async restart() {
      // Stopped last, started first: a node waits at start for the tables of the node that
      // went down after it (52 s measured, until that one is back).
      const [first, second] = nodes as [EjabberdNode, EjabberdNode];
      await second.halt(true);
      await first.halt(true);
      await first.launch();
      await second.launch();
    },
    async stop() {
      process.off('exit', killOnExit);
      await Promise.allSettled(nodes.map((n) => n.halt(false)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Joining restarts node 2; it is back when both nodes list each other and it serves streams. */
async function untilJoined(first: EjabberdNode, second: EjabberdNode): Promise<void> {
  const deadline = Date.now() + JOIN_TIMEOUT_MS;
  const lists = async (node: EjabberdNode) => {
    const { stdout } = await node.ctl('list_cluster').catch(() => ({ stdout: '' }));
    return [first, second].every((n) => stdout.includes(n.settings.nodeName));
  };
  while (!((await lists(first)) && (await lists(second)))) {
    if (Date.now() > deadline) throw new Error('node 2 did not join node 1');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // The restart of node 2's ejabberd application may still be under way.
  await second.ready();
}
