/**
 * A throwaway RabbitMQ node on loopback (TESTING.md "RabbitMQ with TLS and
 * certificate login"): its own node name, ports, epmd, HOME and state dir, a
 * TLS-only listener that demands a client certificate, and EXTERNAL login by
 * certificate CN. It never touches the system node (if one runs) nor its files.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestCa } from './pki.ts';
import {
  captureOutput,
  freePort,
  makeTempDir,
  sleep,
  startProcess,
  stopProcess,
  waitForPort,
  which,
} from './util.ts';

const run = promisify(execFile);

/** Debian's /usr/sbin wrappers `su` to the rabbitmq user; the real scripts run as any user. */
const RABBIT_BIN = '/usr/lib/rabbitmq/bin';
const BOOT_TIMEOUT_S = 90;

export interface RabbitUser {
  /** Broker user name = the CN of the client certificate (ssl_cert_login_from = common_name). */
  name: string;
  tags?: string[];
  /** Permissions per vhost: configure / write / read regexes. */
  permissions?: Array<{ vhost: string; configure: string; write: string; read: string }>;
}

export interface RabbitExchange {
  vhost: string;
  name: string;
  type: 'topic' | 'direct' | 'fanout' | 'headers';
}

export interface RabbitOptions {
  ca: TestCa;
  vhosts?: string[];
  users?: RabbitUser[];
  /** Exchanges that exist from boot (the "stack"'s shared exchanges). */
  exchanges?: RabbitExchange[];
  /** Extra rabbitmq.conf lines. */
  extraConfig?: string[];
}

/** Where the binaries are, or why they are missing (tests skip locally, fail under CI). */
export function rabbitmqMissing(): string | undefined {
  if (!existsSync(join(RABBIT_BIN, 'rabbitmq-server')))
    return `rabbitmq-server is not installed (${RABBIT_BIN}/rabbitmq-server): apt-get install -y rabbitmq-server`;
  if (which('epmd') === undefined) return 'epmd (erlang) is not on PATH';
  return undefined;
}

export class RabbitBroker {
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly nodeName: string;
  readonly ca: TestCa;
  readonly dir: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #pidFile: string;
  readonly #cleanup: () => Promise<void>;
  #child: ChildProcess | undefined;
  #output: () => string = () => '';
  #frozen = false;

  private constructor(opts: {
    port: number;
    nodeName: string;
    ca: TestCa;
    dir: string;
    env: NodeJS.ProcessEnv;
    pidFile: string;
    cleanup: () => Promise<void>;
  }) {
    this.port = opts.port;
    this.nodeName = opts.nodeName;
    this.ca = opts.ca;
    this.dir = opts.dir;
    this.#env = opts.env;
    this.#pidFile = opts.pidFile;
    this.#cleanup = opts.cleanup;
  }

  static async start(options: RabbitOptions): Promise<RabbitBroker> {
    const missing = rabbitmqMissing();
    if (missing !== undefined) throw new Error(missing);
    const temp = await makeTempDir('rabbitmq');
    const dir = temp.dir;
    const [port, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
    const nodeName = `outpost-test-${port}@localhost`;
    const server = options.ca.issue({
      cn: 'localhost',
      altNames: ['localhost', '127.0.0.1'],
      serverAuth: true,
      clientAuth: false,
    });
    for (const sub of ['home', 'mnesia', 'log', 'plugins-expand'])
      await mkdir(join(dir, sub), { recursive: true });
    await writeFile(join(dir, 'ca.pem'), options.ca.certPem);
    await writeFile(join(dir, 'server.pem'), server.certPem);
    await writeFile(join(dir, 'server.key'), server.keyPem, { mode: 0o600 });
    await writeFile(join(dir, 'enabled_plugins'), '[rabbitmq_auth_mechanism_ssl].\n');
    await writeFile(join(dir, 'definitions.json'), JSON.stringify(definitions(options)));
    await writeFile(
      join(dir, 'rabbitmq.conf'),
      [
        'listeners.tcp = none',
        `listeners.ssl.default = 127.0.0.1:${port}`,
        `ssl_options.cacertfile = ${join(dir, 'ca.pem')}`,
        `ssl_options.certfile = ${join(dir, 'server.pem')}`,
        `ssl_options.keyfile = ${join(dir, 'server.key')}`,
        'ssl_options.verify = verify_peer',
        'ssl_options.fail_if_no_peer_cert = true',
        'ssl_options.versions.1 = tlsv1.3',
        'ssl_options.versions.2 = tlsv1.2',
        'auth_mechanisms.1 = EXTERNAL',
        'ssl_cert_login_from = common_name',
        `load_definitions = ${join(dir, 'definitions.json')}`,
        // A laptop or CI box may have little free disk; the tests do not fill it.
        'disk_free_limit.absolute = 1MB',
        'log.console = false',
        'log.file.level = info',
        ...(options.extraConfig ?? []),
      ].join('\n') + '\n',
    );
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      LANG: 'C.UTF-8',
      HOME: join(dir, 'home'),
      RABBITMQ_NODENAME: nodeName,
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_PLUGINS_EXPAND_DIR: join(dir, 'plugins-expand'),
      RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
      RABBITMQ_DIST_PORT: String(distPort),
      // No advanced.config, no conf.d, no env file from /etc/rabbitmq.
      RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
      RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
      ERL_EPMD_PORT: String(epmdPort),
      ERL_EPMD_ADDRESS: '127.0.0.1',
    };
    const broker = new RabbitBroker({
      port,
      nodeName,
      ca: options.ca,
      dir,
      env,
      pidFile: join(dir, 'rabbitmq.pid'),
      cleanup: temp.cleanup,
    });
    try {
      await broker.#boot();
    } catch (error) {
      await broker.stop();
      throw error;
    }
    return broker;
  }

  async #boot(): Promise<void> {
    this.#child = startProcess(join(RABBIT_BIN, 'rabbitmq-server'), [], {
      env: this.#env,
      cwd: this.dir,
    });
    this.#output = captureOutput(this.#child);
    const exited = new Promise<never>((_, reject) =>
      this.#child!.once('exit', (code) =>
        reject(
          new Error(
            `rabbitmq-server exited (${code}) before it was ready:\n${this.#output().slice(-4000)}`,
          ),
        ),
      ),
    );
    exited.catch(() => undefined);
    await Promise.race([
      this.ctl(
        ['wait', this.#pidFile, '--timeout', String(BOOT_TIMEOUT_S)],
        (BOOT_TIMEOUT_S + 10) * 1000,
      ),
      exited,
    ]);
    await Promise.race([waitForPort(this.port, 30_000), exited]);
  }

  /** Runs rabbitmqctl against this node only. */
  async ctl(args: string[], timeoutMs = 60_000): Promise<string> {
    try {
      const { stdout } = await run(
        join(RABBIT_BIN, 'rabbitmqctl'),
        ['-n', this.nodeName, ...args],
        { env: this.#env, timeout: timeoutMs },
      );
      return stdout;
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(
        `rabbitmqctl ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`,
        { cause: error },
      );
    }
  }

  get url(): string {
    return `amqps://${this.host}:${this.port}`;
  }

  get running(): boolean {
    return (
      this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null
    );
  }

  /** SIGSTOP the whole node (process group): sockets stay open, nothing answers. */
  freeze(): void {
    if (this.#child?.pid === undefined) throw new Error('broker is not running');
    process.kill(-this.#child.pid, 'SIGSTOP');
    this.#frozen = true;
  }

  thaw(): void {
    if (this.#child?.pid === undefined || !this.#frozen) return;
    process.kill(-this.#child.pid, 'SIGCONT');
    this.#frozen = false;
  }

  /** Stops the node cleanly and boots it again on the same port and state (durable queues survive). */
  async restart(options: { downMs?: number } = {}): Promise<void> {
    await this.#stopNode();
    if (options.downMs !== undefined) await sleep(options.downMs);
    await this.#boot();
  }

  async #stopNode(): Promise<void> {
    this.thaw();
    if (!this.running) return;
    await this.ctl(['stop', this.#pidFile], 60_000).catch(() => undefined);
    if (this.#child !== undefined) await stopProcess(this.#child, 'SIGTERM', 5_000);
    this.#child = undefined;
  }

  /** Stops the node, the epmd it started, and removes every file. */
  async stop(): Promise<void> {
    await this.#stopNode();
    await run('epmd', ['-kill'], { env: this.#env, timeout: 10_000 }).catch(() => undefined);
    await this.#cleanup();
  }

  /** The broker's log, for failure messages. */
  output(): string {
    return this.#output();
  }
}

function definitions(options: RabbitOptions): object {
  const vhosts = options.vhosts ?? ['/'];
  const users = options.users ?? [];
  return {
    vhosts: vhosts.map((name) => ({ name })),
    // EXTERNAL users need no password: an empty hash makes PLAIN login impossible.
    users: users.map((u) => ({
      name: u.name,
      password_hash: '',
      hashing_algorithm: 'rabbit_password_hashing_sha256',
      tags: (u.tags ?? []).join(','),
    })),
    permissions: users.flatMap((u) => (u.permissions ?? []).map((p) => ({ user: u.name, ...p }))),
    exchanges: (options.exchanges ?? []).map((e) => ({
      ...e,
      durable: true,
      auto_delete: false,
      internal: false,
      arguments: {},
    })),
    queues: [],
    bindings: [],
  };
}
