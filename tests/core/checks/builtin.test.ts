import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBuiltin, validateBuiltinOptions } from '../../../main/core/checks/builtin.ts';
import { runCheck } from '../../../main/core/checks/runner.ts';
import { freePort, makeTempDir } from '../../peers/util.ts';

const signal = new AbortController().signal;
const linux = process.platform === 'linux';

describe('built-in checks', () => {
  let server: Server;
  let port: number;
  let tmp: { dir: string; cleanup(): Promise<void> };
  beforeAll(async () => {
    tmp = await makeTempDir('checks-builtin');
    port = await freePort();
    server = createServer((s) => s.end());
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await tmp.cleanup();
  });

  it('tcp: OK with the connect time, thresholds apply, a closed port is CRITICAL', async () => {
    const ok = await runBuiltin('tcp', { port: String(port), warn: '1', crit: '5' }, signal);
    expect(ok.state).toBe(0);
    expect(ok.output).toMatch(
      new RegExp(`^TCP OK - [0-9.]+ second response time on 127.0.0.1 port ${port}$`),
    );
    expect(ok.perfdata).toEqual([
      expect.objectContaining({ label: 'time', uom: 's', warn: '1', crit: '5', min: 0 }),
    ]);
    // @0:10 alerts for any time between 0 and 10 s: a way to prove the warning path.
    expect((await runBuiltin('tcp', { port, warn: '@0:10' }, signal)).state).toBe(1);
    const closed = await runBuiltin('tcp', { port: await freePort() }, signal);
    expect(closed.state).toBe(2);
    expect(closed.output).toMatch(/ECONNREFUSED/);
  });

  it("file-age: a file's age against thresholds, a missing file is CRITICAL", async () => {
    const path = join(tmp.dir, 'heartbeat');
    await writeFile(path, 'x'.repeat(42));
    const twoHoursAgo = new Date(Date.now() - 7200_000);
    await utimes(path, twoHoursAgo, twoHoursAgo);
    const warn = await runBuiltin('file-age', { path, warn: '3600', crit: '86400' }, signal);
    expect(warn.state).toBe(1);
    const age = warn.perfdata.find((p) => p.label === 'age')!.value!;
    expect(age).toBeGreaterThanOrEqual(7200);
    expect(age).toBeLessThan(7260);
    expect(warn.perfdata.find((p) => p.label === 'size')).toMatchObject({ value: 42, uom: 'B' });
    expect((await runBuiltin('file-age', { path, warn: '60', crit: '600' }, signal)).state).toBe(2);
    expect((await runBuiltin('file-age', { path, warn: '86400' }, signal)).state).toBe(0);
    const missing = await runBuiltin('file-age', { path: join(tmp.dir, 'nope') }, signal);
    expect(missing).toMatchObject({ state: 2, output: expect.stringMatching(/file not found/) });
  });

  it('process: counts processes by name; none running is CRITICAL with crit 1:', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const running = await runBuiltin('process', { name: 'sleep', crit: '1:' }, signal);
      expect(running.state).toBe(0);
      expect(running.perfdata[0]!.value).toBeGreaterThanOrEqual(1);
      expect(running.longOutput).toContain(`pid ${child.pid}`);
      const absent = await runBuiltin(
        'process',
        { name: 'outpost-no-such-process', crit: '1:' },
        signal,
      );
      expect(absent).toMatchObject({
        state: 2,
        output: "PROCS CRITICAL - 0 processes named 'outpost-no-such-process'",
      });
    } finally {
      child.kill();
    }
  });

  it.skipIf(!linux)('memory and uptime agree with /proc', async () => {
    const meminfo = readFileSync('/proc/meminfo', 'utf8');
    const kb = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(meminfo)![1]) * 1024;
    const expected = ((kb('MemTotal') - kb('MemAvailable')) / kb('MemTotal')) * 100;
    const memory = await runBuiltin('memory', { warn: '101', crit: '102' }, signal);
    expect(memory.state).toBe(0);
    expect(Math.abs(memory.perfdata[0]!.value! - expected)).toBeLessThan(5);
    const up = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const uptime = await runBuiltin('uptime', { warn: '@0:60' }, signal);
    expect(Math.abs(uptime.perfdata[0]!.value! - up)).toBeLessThan(5);
    expect(uptime.state).toBe(up <= 60 ? 1 : 0);
  });

  it('disk: the root file system as check_disk sees it, with thresholds on used %', async () => {
    const disk = await runBuiltin('disk', { mount: '/', warn: '@0:100' }, signal);
    expect(disk.state).toBe(1);
    const used = disk.perfdata.find((p) => p.label === '/ used')!;
    const pct = disk.perfdata.find((p) => p.label === '/')!;
    expect(pct).toMatchObject({ uom: '%', warn: '@0:100', min: 0, max: 100 });
    expect(pct.value!).toBeCloseTo((used.value! / used.max!) * 100, 1);
    const plugin = await runCheck({
      name: 'check_disk',
      command: {
        argv: ['/usr/lib/nagios/plugins/check_disk', '-w', '1%', '-c', '0%', '-p', '/'],
        shell: false,
      },
      timeout: 10,
      maxOutputBytes: 65536,
    });
    const theirs = plugin.perfdata.find((p) => p.label === '/');
    if (theirs !== undefined && theirs.uom === 'B')
      expect(Math.abs(theirs.value! - used.value!) / theirs.max!).toBeLessThan(0.01);
    expect((await runBuiltin('disk', { mount: '/no/such/mount' }, signal)).state).toBe(2);
  });

  it('load and cpu report perfdata in range', async () => {
    const load = await runBuiltin('load', { warn: '10000' }, signal);
    expect(load.perfdata.map((p) => p.label)).toEqual(['load1', 'load5', 'load15']);
    expect(load.state).toBe(0);
    const cpu = await runBuiltin('cpu', { sampleMs: 200, warn: '@0:100' }, signal);
    expect(cpu.state).toBe(1);
    expect(cpu.perfdata[0]!.value!).toBeGreaterThanOrEqual(0);
    expect(cpu.perfdata[0]!.value!).toBeLessThanOrEqual(100);
  });

  it('rejects bad options naming the field', () => {
    expect(() => validateBuiltinOptions('tcp', { port: 70000 })).toThrow(
      /builtin\.options\.port: port must be 1–65535/,
    );
    expect(() => validateBuiltinOptions('disk', { warn: 'lots' })).toThrow(
      /builtin\.options\.warn: must be a threshold/,
    );
    expect(() => validateBuiltinOptions('process', {})).toThrow(/builtin\.options\.name/);
    expect(() => validateBuiltinOptions('memory', { colour: 'red' })).toThrow(/builtin\.options/);
  });
});
