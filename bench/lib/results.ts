// Where figures go: printed as they come, one JSON file per section in bench/results/, and the
// machine they were measured on.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { join, resolve } from 'node:path';

export const RESULTS_DIR = resolve(import.meta.dirname, '../results');

export type Figures = Record<string, unknown>;

export interface Results {
  readonly dir: string;
  /** Every figure recorded so far, by file name (without .json). */
  readonly all: Map<string, Figures>;
  record(name: string, figures: Figures): void;
}

export function createResults(dir = RESULTS_DIR): Results {
  mkdirSync(dir, { recursive: true });
  const all = new Map<string, Figures>();
  return {
    dir,
    all,
    record(name, figures) {
      // Other work on the machine takes CPU from every process measured: say how much there was.
      figures = { ...figures, loadAverage1m: Number(loadavg()[0]?.toFixed(2)) };
      all.set(name, figures);
      writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(figures, null, 2)}\n`);
      console.log(`[bench] ${name} ${JSON.stringify(figures)}`);
    },
  };
}

function version(command: string, args: string[], pattern: RegExp): string {
  try {
    const out = execFileSync(command, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return pattern.exec(out)?.[1] ?? out.trim().split('\n')[0] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

function debVersion(pkg: string): string {
  return version('dpkg-query', ['-W', '-f=${Version}', pkg], /^(.+)$/);
}

export function describeMachine(): Figures {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGb: Number((totalmem() / 2 ** 30).toFixed(1)),
    kernel: release(),
    node: process.version,
    prosody: debVersion('prosody'),
    rabbitmq: debVersion('rabbitmq-server'),
    celery: debVersion('python3-celery'),
    erlang: debVersion('erlang-base'),
    /** Other work on the machine disturbs every figure: this was the load when the run began. */
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
    startedAt: new Date().toISOString(),
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

export function distribution(values: number[]): Figures {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (x: number) => Number(x.toFixed(1));
  return {
    n: sorted.length,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? Number.NaN),
  };
}

export const mb = (bytes: number) => Number((bytes / 2 ** 20).toFixed(1));
