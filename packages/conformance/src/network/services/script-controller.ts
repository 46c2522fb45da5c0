/**
 * A {@link ServiceController} over one of this repository's service scripts: `kill` SIGKILLs by
 * the PID the process wrote, `stop` / `start` run `<script> stop|start [process]` (start waits
 * until the service serves again).
 * @module
 */
import type { ServiceController } from './controller.js';
import { killFromPidFile, runScript } from './processes.js';

export interface ScriptControllerOptions {
  /** The service's name, for messages. */
  readonly name: string;
  readonly script: string;
  /** The run state the script works on (passed as `ROTORTREE_SERVICES_DIR`). */
  readonly servicesDir: string;
  /** Each process, and the file whose first line is its PID. */
  readonly pidFiles: Readonly<Record<string, string>>;
  readonly server: string;
  readonly standby?: string;
}

export function scriptController(options: ScriptControllerOptions): ServiceController {
  const env = { ROTORTREE_SERVICES_DIR: options.servicesDir };
  const processes = Object.keys(options.pidFiles);
  const pidFileOf = (process: string): string => {
    const file = options.pidFiles[process];
    if (file === undefined) throw new RangeError(`${options.name} has the processes ${processes.join(', ')}, not "${process}"`);
    return file;
  };
  const controller: ServiceController = {
    processes,
    server: options.server,
    kill: async (process = options.server) => killFromPidFile(pidFileOf(process)),
    stop: async (process) => {
      pidFileOf(process);
      await runScript(options.script, ['stop', process], env);
    },
    start: async (process) => {
      if (process !== undefined) pidFileOf(process);
      await runScript(options.script, process === undefined ? ['start'] : ['start', process], env);
    },
  };
  return options.standby === undefined ? controller : { ...controller, standby: options.standby };
}
