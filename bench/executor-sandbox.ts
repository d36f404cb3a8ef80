// What the sandbox and the spawn helper cost: tasks/s for N `true` tasks through the executor
// alone (no XMPP, no manager), unsandboxed and in bubblewrap, `slots` at a time, started by the
// spawn helper and directly by the worker (a fork each). Prints one line per mode.
// Usage: node bench/executor-sandbox.ts [TASKS=2000] [SLOTS=2]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExecutor } from '../src-main/worker/executor.ts';
import { probeSandbox } from '../src-main/worker/sandbox.ts';
import { createDirectLauncher, taskLauncher } from '../src-main/worker/task-launcher.ts';

const tasks = Number(process.argv[2] ?? 2000);
const slots = Number(process.argv[3] ?? 2);

const launchers = { helper: taskLauncher(), direct: createDirectLauncher() };

async function measure(sandbox: 'none' | 'require', by: keyof typeof launchers): Promise<void> {
  const workRoot = mkdtempSync(join(tmpdir(), 'kestrel-bench-executor-'));
  try {
    const executor = createExecutor({ workRoot, sandbox, launcher: launchers[by] });
    let next = 0;
    let failed = 0;
    const lane = async () => {
      while (next < tasks) {
        const index = next++;
        const outcome = await executor.run({ jobId: 1, index, attempt: 1, command: 'true' }).result;
        if (outcome.exitCode !== 0) failed += 1;
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: slots }, lane));
    const seconds = (performance.now() - started) / 1000;
    const rate = Math.round(tasks / seconds);
    const how = `${executor.isolation.kind} (${executor.isolation.detail}), ${by}`;
    console.log(
      `${how}: ${tasks} tasks, ${slots} at a time, ${seconds.toFixed(2)} s, ${rate} tasks/s, ${failed} failed`,
    );
  } finally {
    rmSync(workRoot, { recursive: true, force: true });
  }
}

for (const by of ['helper', 'direct', 'helper', 'direct'] as const) {
  await measure('none', by);
  if (probeSandbox().sandbox) await measure('require', by);
  else console.log(`no sandbox here: ${probeSandbox().isolation.detail}`);
}
