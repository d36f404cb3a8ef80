// What the worker's presence says for a decision (RFC 6121 §4.7.2.1 show values): available
// while it takes tasks; `away` while it takes nothing new but its tasks run on; `xa` ("extended
// away") while its tasks are suspended. The manager sends new tasks only to available workers.
// The status text says why, for the ops view and any IM client that looks.
import type { VolunteerReason } from '../../shared/api.ts';
import type { Decision } from './policy.ts';

export const REASON_TEXT: Readonly<Record<Exclude<VolunteerReason, 'ok'>, string>> = {
  paused: 'paused by its owner',
  schedule: 'outside its computing hours',
  on_battery: 'on battery',
  battery_low: 'battery low',
  user_active: 'its owner is using it',
  idle_unknown: 'idle time unknown',
  memory_low: 'memory low',
  cpu_busy: 'busy with other programs',
  memory_full: 'memory full',
};

export function presenceFor(
  decision: Pick<Decision, 'run' | 'suspend' | 'reason'>,
): { show: 'away' | 'xa'; status: string } | undefined {
  if (decision.run || decision.reason === 'ok') return undefined;
  return {
    show: decision.suspend ? 'xa' : 'away',
    status: `paused: ${REASON_TEXT[decision.reason]}`,
  };
}
