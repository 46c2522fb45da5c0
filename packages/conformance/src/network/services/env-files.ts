/**
 * Where this repository's service scripts and their run state are: the env files
 * (`.services/postgres.env`, `.services/ceph-rgw.env`) the scripts write, found from the working
 * directory upwards when the variables are not in the environment already.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** `KEY=VALUE` lines (no quoting, `#` comments) as a record. */
export function parseEnvFile(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (line.startsWith('#') || eq <= 0) continue;
    vars[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return vars;
}

/** The nearest directory from `from` upwards that holds `relative`, or undefined. */
export function findUpwards(relative: string, from: string = process.cwd()): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, relative))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The services' run state: `ROTORTREE_SERVICES_DIR`, else `.services` of the enclosing checkout. */
export function servicesDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env['ROTORTREE_SERVICES_DIR']) return env['ROTORTREE_SERVICES_DIR'];
  const root = findUpwards('.services');
  return root === undefined ? undefined : join(root, '.services');
}

/** A service script of the enclosing checkout (`scripts/services/<name>`), or undefined. */
export function serviceScript(name: string): string | undefined {
  const relative = join('scripts', 'services', name);
  const root = findUpwards(relative);
  return root === undefined ? undefined : join(root, relative);
}

/** The variables of an env file in `dir`, or undefined when there is none. */
export function readEnvFile(dir: string | undefined, file: string): Record<string, string> | undefined {
  if (dir === undefined || !existsSync(join(dir, file))) return undefined;
  return parseEnvFile(readFileSync(join(dir, file), 'utf8'));
}

/** The fields named by `keys` (field -> variable) from `vars`; undefined when one is missing or empty. */
export function pickVariables<K extends string>(vars: Readonly<Record<string, string | undefined>>, keys: Readonly<Record<K, string>>): Record<K, string> | undefined {
  const picked = {} as Record<K, string>;
  for (const field of Object.keys(keys) as K[]) {
    const value = vars[keys[field]];
    if (!value) return undefined;
    picked[field] = value;
  }
  return picked;
}
