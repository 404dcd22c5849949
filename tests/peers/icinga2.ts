/**
 * A throwaway Icinga 2 master (Debian `icinga2` 2.13.6) on loopback, for the
 * Icinga tests and bench (TESTING.md "Icinga 2 master"). Config, CA,
 * TicketSalt and state live in a temp dir; the path constants are overridden
 * on the command line so /etc/icinga2 and /var/lib/icinga2 are never touched.
 *
 * Layout (spec icinga2.md §6): endpoint `master.test` in zone `master`, an
 * ApiUser `root` with every permission for REST, and per agent an Endpoint +
 * Zone (parent master) whose Host and passive Services sit in
 * `zones.d/<agent>/` so the master syncs them to the agent (config::Update).
 */
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually } from '../poll.ts';
import { TestCa } from './pki.ts';
import { captureOutput, freePort, makeTempDir, sleep, startProcess, which } from './util.ts';

const execFileAsync = promisify(execFile);

export const MASTER_CN = 'master.test';
/** The second endpoint of the master zone when a test starts an HA pair (startHaPair). */
export const MASTER2_CN = 'master2.test';
export const MASTER_ZONE = 'master';

export interface AgentDecl {
  cn: string;
  /** Passive services of the agent's host (default ['passive']). */
  services?: string[];
}

export interface IcingaMasterOptions {
  agents?: AgentDecl[];
  /** Hosts in the master's own zone: an agent must be refused results for them. */
  masterHosts?: string[];
  ticketSalt?: string;
  /** Extra config appended to icinga2.conf. */
  extraConfig?: string;
}

/** Where one master of an HA zone stands (startHaPair): its endpoint name, CA and address. */
interface ZoneMember {
  cn: string;
  port: number;
  ca: TestCa;
  ticketSalt: string;
  /** The endpoints of zone `master`, this one included, with the port of each. */
  zone: Array<{ cn: string; port: number }>;
  /** The masters' Endpoint objects get host and port, so they connect to each other. */
  connected: boolean;
}

export interface RestResponse {
  status: number;
  body: unknown;
  text: string;
}

export const ICINGA_SKIP_REASON = 'icinga2 binary not installed (apt-get install -y icinga2)';

/** Undefined when the binary exists; under CI a missing binary is an error, not a skip. */
export function icingaMissing(): string | undefined {
  if (which('icinga2') !== undefined) return undefined;
  if (process.env.CI !== undefined && process.env.CI !== '') {
    throw new Error(`${ICINGA_SKIP_REASON}: required under CI`);
  }
  console.warn(`skipping Icinga tests: ${ICINGA_SKIP_REASON}`);
  return ICINGA_SKIP_REASON;
}

/**
 * Processes of a process group that are not zombies (Linux /proc): an
 * orphaned zombie is reaped by PID 1, which in a container may never happen.
 */
function livingGroupMembers(group: number): number {
  let living = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === group && fields[0] !== 'Z') living++;
  }
  return living;
}

function countMain(log: string): number {
  return log.split('In IcingaApplication::Main()').length - 1;
}

/** `icinga2 pki ticket --cn CN --salt SALT`: stateless, needs no running master; trimmed. */
export async function icingaPkiTicket(cn: string, salt: string): Promise<string> {
  const { stdout } = await execFileAsync('icinga2', ['pki', 'ticket', '--cn', cn, '--salt', salt], {
    timeout: 60_000,
  });
  return stdout.trim();
}

export class IcingaMaster {
  readonly dir: string;
  readonly port: number;
  readonly ticketSalt: string;
  readonly restUser = 'root';
  readonly restPassword: string;
  readonly ca: TestCa;
  /** This master's endpoint name (CN of its certificate). */
  readonly cn: string;
  readonly masterCertPem: string;
  #child: ChildProcess | undefined;
  #output: () => string = () => '';
  readonly #cleanup: () => Promise<void>;

  private constructor(
    dir: string,
    port: number,
    salt: string,
    ca: TestCa,
    masterCertPem: string,
    cleanup: () => Promise<void>,
    member: ZoneMember,
  ) {
    this.#member = member;
    this.cn = member.cn;
    this.dir = dir;
    this.port = port;
    this.ticketSalt = salt;
    this.ca = ca;
    this.masterCertPem = masterCertPem;
    this.restPassword = randomBytes(12).toString('hex');
    this.#cleanup = cleanup;
  }

  readonly #member: ZoneMember;

  /** Writes config + CA, starts the daemon, waits until REST answers. */
  static async start(options: IcingaMasterOptions = {}): Promise<IcingaMaster> {
    const port = await freePort();
    // The CA and master certificate come from node (2048-bit keys, milliseconds)
    // instead of `icinga2 pki new-ca` (4096-bit, seconds); `icinga2 ca sign`
    // uses the same ca.key afterwards.
    return IcingaMaster.#startMember(options, {
      cn: MASTER_CN,
      port,
      ca: TestCa.create('Icinga CA'),
      ticketSalt: options.ticketSalt ?? randomBytes(16).toString('hex'),
      zone: [{ cn: MASTER_CN, port }],
      connected: false,
    });
  }

  /**
   * Two masters of one zone (Icinga HA, issue #18): `master.test` and
   * `master2.test`, both endpoints of zone `master`, with the same CA (both
   * can sign, as the docs have the CA copied to the second master), the same
   * TicketSalt and the same agents. `connected`: their Endpoint objects carry
   * host and port, so they connect to each other and share check results as a
   * real HA pair; otherwise each only knows what agents send it.
   */
  static async startHaPair(
    options: IcingaMasterOptions & { connected?: boolean } = {},
  ): Promise<[IcingaMaster, IcingaMaster]> {
    const ports = [await freePort(), await freePort()] as const;
    const zone = [
      { cn: MASTER_CN, port: ports[0] },
      { cn: MASTER2_CN, port: ports[1] },
    ];
    const shared = {
      ca: TestCa.create('Icinga CA'),
      ticketSalt: options.ticketSalt ?? randomBytes(16).toString('hex'),
      zone,
      connected: options.connected ?? false,
    };
    const first = await IcingaMaster.#startMember(options, { ...shared, ...zone[0]! });
    try {
      return [first, await IcingaMaster.#startMember(options, { ...shared, ...zone[1]! })];
    } catch (error) {
      await first.stop();
      throw error;
    }
  }

  static async #startMember(
    options: IcingaMasterOptions,
    member: ZoneMember,
  ): Promise<IcingaMaster> {
    const temp = await makeTempDir('icinga2');
    const { ca, cn } = member;
    const leaf = ca.issue({ cn, altNames: [cn] });
    const master = new IcingaMaster(
      temp.dir,
      member.port,
      member.ticketSalt,
      ca,
      leaf.certPem,
      temp.cleanup,
      member,
    );
    try {
      for (const sub of ['data/ca', 'data/certs', 'log', 'cache', 'spool', 'run', 'zones.d']) {
        await mkdir(join(temp.dir, sub), { recursive: true, mode: 0o700 });
      }
      await writeFile(join(temp.dir, 'data/ca/ca.crt'), ca.certPem);
      await writeFile(join(temp.dir, 'data/ca/ca.key'), ca.keyPem, { mode: 0o600 });
      await writeFile(join(temp.dir, 'data/certs/ca.crt'), ca.certPem);
      await writeFile(join(temp.dir, `data/certs/${cn}.crt`), leaf.certPem);
      await writeFile(join(temp.dir, `data/certs/${cn}.key`), leaf.keyPem, { mode: 0o600 });
      await writeFile(join(temp.dir, 'icinga2.conf'), master.#config(options));
      for (const agent of options.agents ?? []) {
        const zoneDir = join(temp.dir, 'zones.d', agent.cn);
        await mkdir(zoneDir, { recursive: true });
        const services = (agent.services ?? ['passive'])
          .map(
            (s) =>
              `object Service ${JSON.stringify(s)} {\n  host_name = ${JSON.stringify(agent.cn)}\n  check_command = "passive"\n  enable_active_checks = false\n}\n`,
          )
          .join('');
        await writeFile(
          join(zoneDir, 'agent.conf'),
          `object Host ${JSON.stringify(agent.cn)} {\n  check_command = "dummy"\n  enable_active_checks = false\n}\n${services}`,
        );
      }
      await master.#spawn();
      return master;
    } catch (error) {
      await master.stop();
      throw error;
    }
  }

  #config(options: IcingaMasterOptions): string {
    const agents = (options.agents ?? [])
      .map(
        (a) =>
          `object Endpoint ${JSON.stringify(a.cn)} { }\nobject Zone ${JSON.stringify(a.cn)} { endpoints = [ ${JSON.stringify(a.cn)} ]; parent = ZoneName }\n`,
      )
      .join('');
    const masterHosts = (options.masterHosts ?? [])
      .map(
        (h) =>
          `object Host ${JSON.stringify(h)} { check_command = "dummy"; enable_active_checks = false }\n`,
      )
      .join('');
    const { zone, connected } = this.#member;
    const endpoints = zone
      .map(
        (e) =>
          `object Endpoint ${JSON.stringify(e.cn)} { ${connected && e.cn !== this.cn ? `host = "127.0.0.1"; port = ${e.port}` : ''} }\n`,
      )
      .join('');
    return `const NodeName = ${JSON.stringify(this.cn)}
const ZoneName = ${JSON.stringify(MASTER_ZONE)}
const TicketSalt = ${JSON.stringify(this.ticketSalt)}
include <itl>
object IcingaApplication "app" { }
object ApiListener "api" {
  bind_host = "127.0.0.1"
  bind_port = ${this.port}
  ticket_salt = TicketSalt
}
object FileLogger "debug-file" { severity = "debug"; path = LogDir + "/debug.log" }
object FileLogger "main-log" { severity = "information"; path = LogDir + "/icinga2.log" }
${endpoints}object Zone ZoneName { endpoints = [ ${zone.map((e) => JSON.stringify(e.cn)).join(', ')} ] }
object ApiUser ${JSON.stringify(this.restUser)} { password = ${JSON.stringify(this.restPassword)}; permissions = [ "*" ] }
${agents}${masterHosts}${options.extraConfig ?? ''}
`;
  }

  /** The `-D` constants every icinga2 command needs to stay inside the temp dir. */
  get constants(): string[] {
    const d = this.dir;
    return [
      `-DDataDir=${d}/data`,
      `-DLogDir=${d}/log`,
      `-DCacheDir=${d}/cache`,
      `-DSpoolDir=${d}/spool`,
      `-DInitRunDir=${d}/run`,
      `-DZonesDir=${d}/zones.d`,
      '-DRunAsUser=root',
      '-DRunAsGroup=root',
    ];
  }

  /** SHA-256 of the master's leaf DER, lower-case hex (what TOFU shows). */
  get fingerprint(): string {
    const der = Buffer.from(this.masterCertPem.replace(/-----[A-Z ]+-----|\s+/g, ''), 'base64');
    return createHash('sha256').update(der).digest('hex');
  }

  async #spawn(): Promise<void> {
    const mainsBefore = countMain(await this.debugLog());
    const child = startProcess('icinga2', [
      'daemon',
      '-c',
      join(this.dir, 'icinga2.conf'),
      ...this.constants,
    ]);
    this.#child = child;
    this.#output = captureOutput(child);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(
          `icinga2 exited with ${child.exitCode} during start:\n${this.#output().slice(-4000)}`,
        );
      }
      try {
        const res = await this.rest('GET', '/v1/status/ApiListener');
        // REST answers before the daemon installed its signal handlers; a SIGTERM
        // in that window is lost and the next stop would need SIGKILL (losing
        // the state dump), so also wait for IcingaApplication::Main.
        if (res.status === 200 && countMain(await this.debugLog()) > mainsBefore) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline)
        throw new Error(`icinga2 REST did not answer in 30 s:\n${this.#output().slice(-4000)}`);
      await sleep(100);
    }
  }

  /** REST call with basic auth and `Accept: application/json` (mandatory, spec §5). */
  rest(
    method: string,
    path: string,
    body?: unknown,
    auth?: { user: string; password: string },
  ): Promise<RestResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const credentials = auth ?? { user: this.restUser, password: this.restPassword };
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          ca: this.ca.certPem,
          servername: this.cn,
          headers: {
            Accept: 'application/json',
            Authorization: `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`,
            ...(payload === undefined
              ? {}
              : { 'Content-Type': 'application/json', 'Content-Length': payload.length }),
          },
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = undefined;
            try {
              parsed = JSON.parse(text);
            } catch {
              // HTML error pages stay text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, text });
          });
        },
      );
      req.setTimeout(10_000, () => req.destroy(new Error(`REST ${method} ${path} timed out`)));
      req.once('error', reject);
      req.end(payload);
    });
  }

  /** `last_check_result` of `host` or `host!service` as the master stores it. */
  async lastCheckResult(host: string, service?: string): Promise<Record<string, unknown> | null> {
    const path =
      service === undefined
        ? `/v1/objects/hosts/${encodeURIComponent(host)}?attrs=last_check_result`
        : `/v1/objects/services/${encodeURIComponent(`${host}!${service}`)}?attrs=last_check_result`;
    const res = await this.rest('GET', path);
    if (res.status !== 200) throw new Error(`REST ${path}: ${res.status} ${res.text}`);
    const results = (
      res.body as {
        results: Array<{ attrs: { last_check_result: Record<string, unknown> | null } }>;
      }
    ).results;
    return results[0]?.attrs.last_check_result ?? null;
  }

  /** "Check now" (`/v1/actions/reschedule-check`, forced) for one service. */
  async rescheduleCheck(host: string, service: string): Promise<void> {
    const res = await this.rest('POST', '/v1/actions/reschedule-check', {
      type: 'Service',
      filter: 'host.name == h && service.name == s',
      filter_vars: { h: host, s: service },
      force: true,
    });
    if (res.status !== 200)
      throw new Error(`reschedule-check ${host}!${service}: ${res.status} ${res.text}`);
  }

  /**
   * `host!service`'s stored result once `accept` takes it. Each 5 s without
   * one, asks for a check now, as an admin would: after sending
   * ExecuteCommand, icinga2 2.13 pushes next_check to now + timeout + 30 s
   * (checkable-check.cpp, ExecuteCheck), so an answer processed before that
   * line ran (a loopback answer, a busy master) leaves 90 s of silence, and
   * so does a lost answer. Seen once in CI at 1b0f410; said on stderr when
   * it happens, with the master's log of the service, so the cause shows.
   */
  async awaitCheckResult(
    host: string,
    service: string,
    accept: (result: Record<string, unknown>) => boolean,
    options: { what: string; timeout?: number },
  ): Promise<Record<string, unknown>> {
    let askedAt = Date.now();
    let last = 'no result';
    return eventually(
      async () => {
        const r = await this.lastCheckResult(host, service);
        if (r !== null) last = String(r.output);
        if (r !== null && accept(r)) return r;
        if (Date.now() - askedAt > 5_000) {
          askedAt = Date.now();
          const log = (await this.debugLog())
            .split('\n')
            .filter((line) => line.includes(`!${service}'`))
            .slice(-15)
            .join('\n');
          console.warn(`no ${options.what} for 5 s: asking for a check of ${service} now\n${log}`);
          await this.rescheduleCheck(host, service);
        }
        return undefined;
      },
      {
        timeout: options.timeout ?? 30_000,
        interval: 200,
        what: options.what,
        context: () => `the last result of ${host}!${service}: ${last}`,
      },
    );
  }

  async icinga(args: string[]): Promise<string> {
    const { stdout, stderr } = await execFileAsync('icinga2', [...args, ...this.constants], {
      timeout: 60_000,
    });
    return `${stdout}${stderr}`;
  }

  /** `icinga2 ca list --all --json`: every request by fingerprint. */
  async caList(): Promise<Record<string, { subject: string; cert_response?: string }>> {
    const { stdout } = await execFileAsync(
      'icinga2',
      ['ca', 'list', '--all', '--json', ...this.constants],
      { timeout: 60_000 },
    );
    return JSON.parse(stdout.trim() === '' ? '{}' : stdout) as Record<
      string,
      { subject: string; cert_response?: string }
    >;
  }

  async caSign(fingerprint: string): Promise<string> {
    return this.icinga(['ca', 'sign', fingerprint]);
  }

  /** `icinga2 pki ticket` with this master's salt. */
  ticket(cn: string, salt = this.ticketSalt): Promise<string> {
    return icingaPkiTicket(cn, salt);
  }

  async debugLog(): Promise<string> {
    try {
      return await readFile(join(this.dir, 'log/debug.log'), 'utf8');
    } catch {
      return '';
    }
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return (
      this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null
    );
  }

  /** Stops the daemon (process group) and starts it again on the same port and state. */
  async restart(): Promise<void> {
    await this.kill();
    await this.#spawn();
  }

  /**
   * Stops the daemon only (state kept), e.g. to test reconnects.
   *
   * ONE SIGTERM, to the umbrella process only (icinga2 2.13 daemoncommand.cpp):
   * the umbrella forwards it to its worker, which stops its objects, dumps
   * its state and exits; the worker ignores a SIGTERM that does not come from
   * the umbrella, and the umbrella resets its handler to SIG_DFL on the first
   * one, so a second SIGTERM kills the umbrella mid-shutdown and the clean-up
   * SIGKILL then cut the worker's state dump short (every check result since
   * the start lost: the Icinga restart flake seen in CI). The daemon is gone
   * once nothing of its process group is left.
   */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.pid === undefined) return;
    const group = child.pid;
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(group, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    const groupAlive = (): boolean => livingGroupMembers(group) > 0;
    const deadline = Date.now() + 60_000;
    while (groupAlive() && Date.now() < deadline) await sleep(50);
    if (groupAlive()) {
      process.stderr.write(
        `icinga2 (group ${group}) did not stop 60 s after SIGTERM: SIGKILL, its state dump is lost\n${this.#output().slice(-2000)}\n`,
      );
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      while (groupAlive()) await sleep(50);
    }
  }

  async start(): Promise<void> {
    if (!this.running) await this.#spawn();
  }

  /** Stops the daemon and deletes every file it wrote. Safe to call twice. */
  async stop(): Promise<void> {
    try {
      await this.kill();
    } finally {
      await this.#cleanup();
    }
  }
}
