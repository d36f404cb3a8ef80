// One look at the machine for the policy: every probe read, and turned into Observations. The
// probes are injectable, each one alone: tests flip an idle time, the Electron shell passes
// powerMonitor's idle time and battery state.
import type { IdleDetection, IdleSourceName } from '../../shared/api.ts';
import type { Logger } from '../common/log.ts';
import { createIdleProbe, type IdleProbe } from './idle.ts';
import type { Observations } from './policy.ts';
import {
  createOtherCpu,
  readBattery,
  readCpuTimes,
  readMemory,
  type BatteryReading,
  type CpuTimes,
  type MemoryReading,
} from './probes.ts';

export interface Probes {
  idle: IdleProbe;
  battery(): Promise<BatteryReading>;
  memory(): MemoryReading;
  cpuTimes(): CpuTimes;
}

export interface ProbeOptions {
  idleSource: IdleSourceName;
  /** Electron's powerMonitor.getSystemIdleTime. */
  idleSeconds?: () => number;
  /** Electron's powerMonitor.isOnBatteryPower; the charge still comes from systeminformation. */
  onBattery?: () => Promise<boolean>;
  env: NodeJS.ProcessEnv;
}

/** systeminformation is asked at most this often: on macOS each answer is a process (pmset). */
const BATTERY_EVERY_MS = 10_000;

function cachedBattery(): () => Promise<BatteryReading> {
  let last: { at: number; reading: Promise<BatteryReading> } | undefined;
  return () => {
    const at = Date.now();
    if (last === undefined || at - last.at >= BATTERY_EVERY_MS)
      last = { at, reading: readBattery() };
    const reading = last.reading;
    reading.catch(() => (last = undefined)); // a failure is not kept
    return reading;
  };
}

export function defaultProbes(options: ProbeOptions): Probes {
  const battery = cachedBattery();
  const { onBattery } = options;
  return {
    idle: createIdleProbe({
      source: options.idleSource,
      electron: options.idleSeconds,
      env: options.env,
    }),
    battery: onBattery
      ? async () =>
          (await onBattery()) ? { ...(await battery()), onBattery: true } : { onBattery: false }
      : battery,
    memory: readMemory,
    cpuTimes: readCpuTimes,
  };
}

export interface Observer {
  /** What the machine reports now; `ours`: what our tasks use (the governor knows). */
  look(
    now: number,
    cores: number,
    ours: { cpuSeconds: number; rssMb: number },
  ): Promise<Observations>;
  /** The idle detection of the last look, for the view. */
  readonly idle: IdleDetection;
  /** The memory of the last look, for "may this task start". */
  readonly memory: { usedPercent: number; totalMb: number } | undefined;
}

export function createObserver(probes: Probes, log: Logger): Observer {
  const otherCpu = createOtherCpu();
  let idle: IdleDetection = { source: 'none', available: false, detail: 'not read yet' };
  let battery: BatteryReading = { onBattery: false };
  let memory: { usedPercent: number; totalMb: number } | undefined;
  const warned = new Set<string>();
  const warnOnce = (what: string, error: unknown) => {
    if (warned.has(what)) return;
    warned.add(what);
    log.warn(`could not read the ${what}; going on without it`, { error: String(error) });
  };

  return {
    get idle() {
      return idle;
    },
    get memory() {
      return memory;
    },
    async look(now, cores, ours) {
      idle = await probes.idle.read();
      try {
        battery = await probes.battery();
      } catch (error) {
        warnOnce('battery state', error);
      }
      let memoryUsedPercent: number | undefined;
      let ownerFreePercent: number | undefined;
      try {
        const m = probes.memory();
        memoryUsedPercent = ((m.totalMb - m.availableMb) / m.totalMb) * 100;
        ownerFreePercent = Math.min(100, ((m.availableMb + ours.rssMb) / m.totalMb) * 100);
        memory = { usedPercent: memoryUsedPercent, totalMb: m.totalMb };
      } catch (error) {
        warnOnce('memory in use', error);
      }
      let otherCpuPercent: number | undefined;
      try {
        const self = process.cpuUsage();
        const mine = ours.cpuSeconds + (self.user + self.system) / 1e6;
        otherCpuPercent = otherCpu.sample(now, probes.cpuTimes(), mine);
      } catch (error) {
        warnOnce('CPU load', error);
      }
      const date = new Date(now);
      return {
        now,
        weekday: date.getDay(),
        hour: date.getHours() + date.getMinutes() / 60 + date.getSeconds() / 3600,
        idleSeconds: idle.available ? idle.idleSeconds : undefined,
        onBattery: battery.onBattery,
        ...(battery.percent === undefined ? {} : { batteryPercent: battery.percent }),
        ...(otherCpuPercent === undefined ? {} : { otherCpuPercent }),
        ...(memoryUsedPercent === undefined ? {} : { memoryUsedPercent }),
        ...(ownerFreePercent === undefined ? {} : { ownerFreePercent }),
        cores,
      };
    },
  };
}
