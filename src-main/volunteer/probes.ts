// What the machine reports, for the policy: battery, the CPU that other programs use, memory.
// Each probe is a small function the controller calls once per look; all are injectable, so
// tests give fake ones and the Electron shell gives powerMonitor's battery state.
import { existsSync, readFileSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import si from 'systeminformation';

export interface BatteryReading {
  onBattery: boolean;
  /** Charge in percent, when there is a battery and it says. */
  percent?: number;
}

/** systeminformation's report; a desktop has no battery, so it is never on battery. */
export async function readBattery(): Promise<BatteryReading> {
  const battery = await si.battery();
  if (!battery.hasBattery) return { onBattery: false };
  // A laptop on its charger is not on battery, whatever its charge.
  return { onBattery: !battery.acConnected, percent: battery.percent };
}

export interface MemoryReading {
  totalMb: number;
  /** What programs could still get without swapping (Linux MemAvailable). */
  availableMb: number;
}

export function readMemory(): MemoryReading {
  const total = totalmem() / 2 ** 20;
  if (existsSync('/proc/meminfo')) {
    const kb = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
    if (kb !== undefined) return { totalMb: total, availableMb: Number(kb) / 1024 };
  }
  return { totalMb: total, availableMb: freemem() / 2 ** 20 };
}

/** Busy and total CPU time of the whole machine so far, in seconds (all cores together). */
export interface CpuTimes {
  busy: number;
  total: number;
}

export function readCpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const { user, nice, sys, irq, idle } = times;
    busy += user + nice + sys + irq;
    total += user + nice + sys + irq + idle;
  }
  return { busy: busy / 1000, total: total / 1000 };
}

/** BOINC averages other programs' CPU over 10 s before it decides (MEMORY_USAGE_PERIOD). */
export const CPU_WINDOW_MS = 10_000;

export interface OtherCpu {
  /**
   * One look: the machine's CPU times now and the CPU seconds our tasks (and this process) have
   * used so far. Returns the percent of the machine's CPU that other programs used over the
   * last CPU_WINDOW_MS, once a window's worth has been seen.
   */
  sample(at: number, machine: CpuTimes, ours: number): number | undefined;
}

/** Other programs' CPU = all the machine's busy time less ours, over a sliding window. */
export function createOtherCpu(windowMs = CPU_WINDOW_MS): OtherCpu {
  const samples: { at: number; machine: CpuTimes; ours: number }[] = [];
  return {
    sample(at, machine, ours) {
      samples.push({ at, machine, ours });
      while (samples.length > 2 && at - (samples[1]?.at ?? at) >= windowMs) samples.shift();
      const first = samples[0];
      if (first === undefined || at - first.at < windowMs) return undefined;
      const total = machine.total - first.machine.total;
      if (total <= 0) return undefined;
      const other = machine.busy - first.machine.busy - (ours - first.ours);
      return Math.min(100, Math.max(0, (other / total) * 100));
    },
  };
}
