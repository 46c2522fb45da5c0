// The rules that find servers for tests (skip without them, fail under CI), and the script
// controller with a stand-in script and process: no server needed.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive, lookupService, scriptController, servicesRequired, useService } from '../../src/network/index.js';
import type { SkipContext } from '../../src/network/index.js';
import { parseEnvFile } from '../../src/network/services/env-files.js';

const dir = mkdtempSync(join(tmpdir(), 'rotortree-test-services-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const skipper = (): SkipContext & { notes: string[] } => {
  const notes: string[] = [];
  return {
    notes,
    skip: (note?: string): never => {
      notes.push(note ?? '');
      throw new Error('skipped');
    },
  };
};

const s3Vars = (endpoint: string) => ({
  ROTORTREE_S3_ENDPOINT: endpoint,
  ROTORTREE_S3_ACCESS_KEY: 'a',
  ROTORTREE_S3_SECRET_KEY: 's',
  ROTORTREE_S3_REGION: 'us-east-1',
  ROTORTREE_CEPH_RUN_DIR: '/nowhere/run',
  ROTORTREE_CEPH_SCRIPT: '/nowhere/ceph-rgw.sh',
  ROTORTREE_CEPH_SERVICES_DIR: '/nowhere',
  ROTORTREE_SERVICES_DIR: dir, // no env files there
});

describe('finding a service', () => {
  it('available when every address accepts connections; else the reason names what is missing', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const up = await lookupService('s3', s3Vars(`http://127.0.0.1:${port}`));
    expect(up).toMatchObject({ available: true, info: { endpoint: `http://127.0.0.1:${port}`, runDir: '/nowhere/run' } });
    server.close();
    await once(server, 'close');
    const down = await lookupService('s3', s3Vars(`http://127.0.0.1:${port}`));
    expect(down).toEqual({ available: false, reason: expect.stringContaining(`nothing listens on 127.0.0.1:${port}`) });
    expect(await lookupService('postgres', { ROTORTREE_SERVICES_DIR: dir })).toEqual({ available: false, reason: expect.stringContaining('not started') });
    expect(await lookupService('s3', { ...s3Vars(`http://127.0.0.1:${port}`), ROTORTREE_SERVICES: 'off' })).toEqual({
      available: false,
      reason: expect.stringContaining('ROTORTREE_SERVICES=off'),
    });
  });

  it('a missing service skips with its reason, or fails under CI (CI set and not 0/false)', () => {
    const missing = { available: false as const, reason: 'S3: nothing listens' };
    const ctx = skipper();
    expect(() => useService(missing, ctx, {})).toThrow('skipped');
    expect(ctx.notes).toEqual(['S3: nothing listens']);
    expect(() => useService(missing, skipper(), { CI: 'true' })).toThrow(/S3: nothing listens; under CI/);
    expect(() => useService(missing, skipper(), { CI: 'false' })).toThrow('skipped');
    expect([servicesRequired({ CI: '1' }), servicesRequired({ CI: '0' }), servicesRequired({ CI: '' }), servicesRequired({})]).toEqual([true, false, false, false]);
    expect(useService({ available: true, info: 42 }, skipper(), { CI: 'true' })).toBe(42);
  });

  it('env files: KEY=VALUE lines, comments and blank lines ignored, values may hold =', () => {
    expect(parseEnvFile('# c\nA=1\n\nB=x=y\nnot a line\n')).toEqual({ A: '1', B: 'x=y' });
  });
});

describe('scriptController', () => {
  it('kill: SIGKILL by the PID file, resolved once gone; stop/start run the script with the services dir', async () => {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    await once(child, 'spawn');
    const exited = once(child, 'exit');
    writeFileSync(join(dir, 'server.pid'), `${child.pid}\nmore lines\n`);
    const calls = join(dir, 'calls');
    const script = join(dir, 'service.sh');
    writeFileSync(script, `echo "$* $ROTORTREE_SERVICES_DIR" >> ${calls}\n`);
    const controller = scriptController({ name: 'demo', script, servicesDir: '/state', pidFiles: { server: join(dir, 'server.pid'), standby: join(dir, 'none.pid') }, server: 'server', standby: 'standby' });
    expect([controller.processes, controller.server, controller.standby]).toEqual([['server', 'standby'], 'server', 'standby']);
    await controller.kill();
    expect(isAlive(child.pid!)).toBe(false);
    expect((await exited)[1]).toBe('SIGKILL');
    await controller.stop('standby');
    await controller.start('standby');
    await controller.start();
    expect(readFileSync(calls, 'utf8')).toBe('stop standby /state\nstart standby /state\nstart /state\n');
    await expect(controller.kill('nope')).rejects.toThrow(RangeError);
    await expect(controller.kill('standby')).rejects.toThrow(/ENOENT/);
  });
});
