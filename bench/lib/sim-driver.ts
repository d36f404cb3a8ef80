// The other end of the transport ceiling: one connection sends a message to each echo client and
// sends the next as soon as the echo is back, keeping `inFlight` messages per client in flight
// (one, like a worker with one slot), and counts the round trips in a fixed time.
import type { XmppConnection } from '../../src-main/xmpp/connection.ts';

export interface DriveOptions {
  targets: string[];
  inFlight: number;
  seconds: number;
  body: string;
}

export function startDriver(
  connection: XmppConnection,
  options: DriveOptions,
): Promise<{ roundTrips: number; seconds: number }> {
  const { targets, inFlight, body } = options;
  const known = new Set(targets);
  let roundTrips = 0;
  let outstanding = 0;
  const t0 = performance.now();
  const deadline = t0 + options.seconds * 1000;
  let ended: number | undefined;
  return new Promise((resolve) => {
    const send = (to: string) => {
      outstanding += 1;
      connection.sendText(to, body).catch(() => (outstanding -= 1));
    };
    const onMessage = ({ from }: { from: string }) => {
      if (!known.has(from)) return;
      outstanding -= 1;
      if (ended !== undefined) {
        if (outstanding === 0) finish();
        return;
      }
      roundTrips += 1;
      if (performance.now() < deadline) send(from);
      else {
        ended = performance.now();
        if (outstanding === 0) finish();
      }
    };
    const finish = () => {
      connection.off('message', onMessage);
      clearTimeout(guard);
      const seconds = ((ended ?? performance.now()) - t0) / 1000;
      resolve({ roundTrips, seconds });
    };
    // Messages lost with a dying connection must not hang the bench.
    const guard = setTimeout(finish, options.seconds * 1000 + 10_000);
    connection.on('message', onMessage);
    for (const to of targets) for (let i = 0; i < inFlight; i += 1) send(to);
  });
}
