/**
 * Process control by PID file and by the service scripts, for the controllers of the services
 * this repository starts (scripts/services/*.sh). Linux: a killed process whose parent has not
 * reaped it yet (a zombie) counts as gone.
 * @module
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** The PID on the first line of `file`; throws when the file is missing or holds no PID. */
export function pidFromFile(file: string): number {
  const pid = Number.parseInt(readFileSync(file, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no PID in ${file}`);
  return pid;
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // The state follows the command name, which is in parentheses and may hold spaces.
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/** SIGKILLs the process whose PID is in `pidFile` and waits until it is gone. */
export async function killFromPidFile(pidFile: string, timeoutMs = 10_000): Promise<void> {
  const pid = pidFromFile(pidFile);
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} (${pidFile}) still alive ${timeoutMs} ms after SIGKILL`);
    await sleep(10);
  }
}

/** Runs `bash script ...args` with extra environment; rejects with its stderr when it fails. */
export function runScript(script: string, args: readonly string[], env: Readonly<Record<string, string>> = {}, timeoutMs = 300_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [script, ...args], { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`bash ${script} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}
