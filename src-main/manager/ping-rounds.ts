// Rounds of XEP-0199 pings to the workers: each round pings every worker not already waiting on
// an answer, and the workers silent in one round are given up together. Giving them up one by one
// missed frozen idle workers (suspended laptops): they still look available, so a task taken from
// one went to the next, and every loss counts toward the task's maxLost; the chaos run
// (test/chaos) saw five frozen idle workers fail a task a healthy worker could run.

export interface PingRounds {
  /** Pings these workers, but not those still waiting on an answer from an earlier round. */
  round(jids: readonly string[]): void;
}

export function createPingRounds(options: {
  /** Resolves true when the worker answered in time. Never rejects. */
  ping: (jid: string) => Promise<boolean>;
  /** The workers silent in one round, together, once every ping of the round has settled. */
  silent: (jids: string[]) => void;
}): PingRounds {
  const pinging = new Set<string>();
  return {
    round(jids) {
      const round = jids.filter((jid) => !pinging.has(jid));
      for (const jid of round) pinging.add(jid);
      // A worker that answers is pinged again from the next round on, whatever the others of
      // its round do: held back until the round's slowest ping had timed out, a worker frozen
      // meanwhile missed the next round and was found one interval later.
      const answers = round.map((jid) =>
        options.ping(jid).then((alive) => {
          if (alive) pinging.delete(jid);
          return alive;
        }),
      );
      void Promise.all(answers).then((alive) => {
        const silent = round.filter((_, i) => !alive[i]);
        for (const jid of silent) pinging.delete(jid);
        if (silent.length > 0) options.silent(silent);
      });
    },
  };
}
