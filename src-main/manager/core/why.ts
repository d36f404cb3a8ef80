import { coresOf, fits, provides, type Capacity } from './matching.ts';
import type { JobSpec, PresenceShow, WorkerProfile } from './types.ts';

/**
 * Why a job's queued tasks are not running, like `condor_q -better-analyze`: the job's needs held
 * against every worker the manager knows, most decisive reason first. Pure: the read model passes
 * the scheduler's workers; the same answer goes to the ops view, `kestrel why` and the chat.
 */

export interface WhyWorker {
  profile: WorkerProfile | undefined;
  show: PresenceShow | undefined;
  free: Capacity;
}

export interface WhyAnswer {
  /** Empty when nothing holds the job back (or nothing is queued). */
  reasons: string[];
  /** Workers that could ever run it: they provide every tag and are big enough. */
  matching: number;
}

const paused = (w: WhyWorker) => w.show !== undefined && w.show !== 'chat';
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function whyNotRunning(
  spec: Pick<JobSpec, 'requires' | 'cores' | 'ram'>,
  queued: number,
  workers: Iterable<WhyWorker>,
  /** Workers given up for not answering pings (not among `workers` any more). */
  unresponsive = 0,
): WhyAnswer {
  const all = [...workers];
  const reported = all.filter(
    (w): w is WhyWorker & { profile: WorkerProfile } => w.profile !== undefined,
  );
  const tagged = reported.filter((w) => provides(w.profile, spec));
  const big = tagged.filter(
    (w) => w.profile.cores >= coresOf(spec) && (spec.ram === 0 || w.profile.ram >= spec.ram),
  );
  const answer = (reasons: string[]): WhyAnswer => ({
    reasons: queued === 0 ? [] : reasons,
    matching: big.length,
  });

  if (all.length === 0) {
    const silent = unresponsive > 0 ? `; ${plural(unresponsive, 'worker')} stopped answering` : '';
    return answer([`no workers online${silent}`]);
  }
  if (reported.length === 0) {
    return answer([`${plural(all.length, 'worker')} online, none has sent its profile yet`]);
  }
  if (tagged.length === 0) {
    const missing = spec.requires.filter(
      (tag) => !reported.some((w) => w.profile.provides.includes(tag)),
    );
    if (missing.length > 0) return answer(missing.map((tag) => `no worker provides ${tag}`));
    return answer([`no worker provides all of ${spec.requires.join(', ')}`]);
  }
  if (big.length === 0) {
    const largest =
      spec.requires.length === 0
        ? 'the largest worker'
        : `the largest worker providing ${spec.requires.join(', ')}`;
    const maxCores = Math.max(...tagged.map((w) => w.profile.cores));
    const maxRam = Math.max(...tagged.map((w) => w.profile.ram));
    const reasons: string[] = [];
    const cores = coresOf(spec);
    if (cores > maxCores) reasons.push(`needs ${cores} cores; ${largest} has ${maxCores}`);
    if (spec.ram > maxRam) reasons.push(`needs ${spec.ram} MB of RAM; ${largest} has ${maxRam} MB`);
    if (reasons.length === 0)
      reasons.push(`needs ${cores} cores and ${spec.ram} MB of RAM; no worker has both`);
    return answer(reasons);
  }
  const awake = big.filter((w) => !paused(w));
  if (awake.length === 0) {
    const which =
      big.length === 1
        ? 'the one matching worker is'
        : big.length === 2
          ? 'both matching workers are'
          : `every matching worker is`;
    return answer([`${which} paused`]);
  }
  const free = awake.filter((w) => fits(w.free, spec) > 0);
  if (free.length === 0) {
    const asleep = big.length - awake.length;
    const busy =
      awake.length === 1
        ? 'the one matching worker is busy'
        : awake.length === 2
          ? 'both matching workers are busy'
          : `all ${awake.length} matching workers are busy`;
    return answer([
      asleep > 0 ? `${busy}; ${asleep} more ${asleep === 1 ? 'is' : 'are'} paused` : busy,
    ]);
  }
  return answer([]);
}
