import { stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { cpus, loadavg, totalmem, uptime as osUptime } from 'node:os';
import si from 'systeminformation';
import { z } from 'zod';
import { parseWith } from '../contract/parse.ts';
import type { BuiltinKind } from '../contract/builtin-kinds.ts';
import type { PerfdataItem } from '../contract/check-results.ts';
import { CRITICAL, OK, UNKNOWN } from './result.ts';
import { type CheckState } from '../contract/check-results.ts';
import {
  evaluateThresholds,
  optionalRange,
  parseRange,
  isRange,
  type ThresholdRange,
} from './thresholds.ts';
import { type BuiltinPreset } from '../contract/checks.ts';

/**
 * Checks a desktop can run with no plugin installed. Each one returns what a
 * plugin would print: a state, a one-line output, perfdata with its
 * thresholds (monitoring-plugins range syntax), optional long output.
 */
export interface BuiltinOutcome {
  state: CheckState;
  output: string;
  longOutput?: string;
  perfdata: PerfdataItem[];
}

const range = z
  .union([z.string(), z.number()])
  .transform(String)
  .refine((t) => t === '' || isRange(parseRange(t)), {
    message: 'must be a threshold: N, N:, ~:N, A:B or @A:B',
  })
  .optional();
const thresholds = { warn: range, crit: range };

export const BUILTIN_OPTION_SCHEMAS = {
  disk: z.object({ mount: z.string().min(1).optional(), ...thresholds }).strict(),
  memory: z.object(thresholds).strict(),
  load: z.object(thresholds).strict(),
  cpu: z
    .object({ sampleMs: z.coerce.number().int().min(100).max(10_000).default(1000), ...thresholds })
    .strict(),
  uptime: z.object(thresholds).strict(),
  process: z
    .object({ name: z.string().min(1, 'name of the process to look for'), ...thresholds })
    .strict(),
  tcp: z
    .object({
      address: z.string().min(1).default('127.0.0.1'),
      port: z.coerce
        .number()
        .int()
        .min(1, 'port must be 1–65535')
        .max(65_535, 'port must be 1–65535'),
      ...thresholds,
    })
    .strict(),
  'file-age': z
    .object({ path: z.string().min(1, 'path of the file to watch'), ...thresholds })
    .strict(),
} satisfies Record<BuiltinKind, z.ZodType>;

export const BUILTIN_PRESETS: BuiltinPreset[] = [
  {
    kind: 'disk',
    title: 'Disk usage',
    description: 'Used space of every mounted file system, or of one mount',
    defaults: { warn: '80', crit: '90' },
    thresholdsOn: 'used %',
    required: [],
  },
  {
    kind: 'memory',
    title: 'Memory',
    description: 'Used memory (total minus available)',
    defaults: { warn: '80', crit: '90' },
    thresholdsOn: 'used %',
    required: [],
  },
  {
    kind: 'load',
    title: 'Load average',
    description: '1, 5 and 15 minute load (0 on Windows: use cpu)',
    defaults: { warn: String(cpus().length * 2), crit: String(cpus().length * 4) },
    thresholdsOn: '1 minute load',
    required: [],
  },
  {
    kind: 'cpu',
    title: 'CPU usage',
    description: 'Share of CPU time busy over a short sample',
    defaults: { warn: '80', crit: '95', sampleMs: 1000 },
    thresholdsOn: 'busy %',
    required: [],
  },
  {
    kind: 'uptime',
    title: 'Uptime',
    description: 'Time since boot (e.g. warn @0:600 after a reboot)',
    defaults: {},
    thresholdsOn: 'seconds',
    required: [],
  },
  {
    kind: 'process',
    title: 'Process running',
    description: 'How many processes of that name run',
    defaults: { crit: '1:' },
    thresholdsOn: 'process count',
    required: ['name'],
  },
  {
    kind: 'tcp',
    title: 'TCP port',
    description: 'A TCP port answers (connect time)',
    defaults: { address: '127.0.0.1', warn: '1', crit: '5' },
    thresholdsOn: 'connect time in seconds',
    required: ['port'],
  },
  {
    kind: 'file-age',
    title: "File's age",
    description: 'Time since a file was last modified; CRITICAL if missing',
    defaults: { warn: '3600', crit: '86400' },
    thresholdsOn: 'age in seconds',
    required: ['path'],
  },
];

type Options<K extends BuiltinKind> = z.output<(typeof BUILTIN_OPTION_SCHEMAS)[K]>;

export function validateBuiltinOptions(kind: BuiltinKind, options: unknown): void {
  parseWith(BUILTIN_OPTION_SCHEMAS[kind], options, 'builtin.options');
}

interface Limits {
  warn: ThresholdRange | undefined;
  crit: ThresholdRange | undefined;
}

function limits(options: { warn?: string; crit?: string }): Limits {
  return {
    warn: optionalRange(options.warn, 'builtin.options.warn'),
    crit: optionalRange(options.crit, 'builtin.options.crit'),
  };
}

function perf(
  label: string,
  value: number,
  uom: PerfdataItem['uom'],
  l?: Limits,
  min?: number,
  max?: number,
): PerfdataItem {
  const item: PerfdataItem = { label, value: round(value), uom };
  if (l?.warn !== undefined) item.warn = l.warn.text;
  if (l?.crit !== undefined) item.crit = l.crit.text;
  if (min !== undefined) item.min = min;
  if (max !== undefined) item.max = max;
  return item;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function worst(states: CheckState[]): CheckState {
  // CRITICAL > WARNING > UNKNOWN > OK, as monitoring-plugins aggregate.
  const order: CheckState[] = [2, 1, 3, 0];
  return order.find((s) => states.includes(s)) ?? OK;
}

function word(state: CheckState): string {
  return ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'][state]!;
}

const PSEUDO_FS = new Set([
  'tmpfs',
  'devtmpfs',
  'overlay',
  'squashfs',
  'proc',
  'sysfs',
  'devfs',
  'autofs',
  'ramfs',
  'efivarfs',
  'nsfs',
  'cgroup',
  'cgroup2',
]);

async function disk(o: Options<'disk'>): Promise<BuiltinOutcome> {
  const l = limits(o);
  const all = await si.fsSize();
  const mounts = all.filter((f) =>
    o.mount === undefined ? f.size > 0 && !PSEUDO_FS.has(f.type) : f.mount === o.mount,
  );
  if (mounts.length === 0) {
    return {
      state: o.mount === undefined ? UNKNOWN : CRITICAL,
      output:
        o.mount === undefined
          ? 'DISK UNKNOWN - no file system found'
          : `DISK CRITICAL - ${o.mount} is not mounted`,
      perfdata: [],
    };
  }
  const states: CheckState[] = [];
  const parts: string[] = [];
  const perfdata: PerfdataItem[] = [];
  for (const f of mounts) {
    const pct = f.size > 0 ? (f.used / f.size) * 100 : 0;
    states.push(evaluateThresholds(pct, l.warn, l.crit));
    parts.push(
      `${f.mount} ${pct.toFixed(1)}% used (${gib(f.size - f.used)} free of ${gib(f.size)})`,
    );
    perfdata.push(
      perf(f.mount, pct, '%', l, 0, 100),
      perf(`${f.mount} used`, f.used, 'B', undefined, 0, f.size),
    );
  }
  const state = worst(states);
  return { state, output: `DISK ${word(state)} - ${parts.join(', ')}`, perfdata };
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

async function memory(o: Options<'memory'>): Promise<BuiltinOutcome> {
  const l = limits(o);
  const m = await si.mem();
  const total = m.total || totalmem();
  const used = total - m.available;
  const pct = (used / total) * 100;
  const state = evaluateThresholds(pct, l.warn, l.crit);
  return {
    state,
    output: `MEMORY ${word(state)} - ${pct.toFixed(1)}% used (${gib(m.available)} available of ${gib(total)})`,
    perfdata: [
      perf('used', pct, '%', l, 0, 100),
      perf('used bytes', used, 'B', undefined, 0, total),
    ],
  };
}

async function load(o: Options<'load'>): Promise<BuiltinOutcome> {
  const l = limits(o);
  const [l1 = 0, l5 = 0, l15 = 0] = loadavg();
  const state = evaluateThresholds(l1, l.warn, l.crit);
  return {
    state,
    output: `LOAD ${word(state)} - load average: ${l1.toFixed(2)}, ${l5.toFixed(2)}, ${l15.toFixed(2)}`,
    perfdata: [
      perf('load1', l1, '', l, 0),
      perf('load5', l5, '', undefined, 0),
      perf('load15', l15, '', undefined, 0),
    ],
  };
}

function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const c of cpus()) {
    idle += c.times.idle;
    total += c.times.idle + c.times.user + c.times.nice + c.times.sys + c.times.irq;
  }
  return { idle, total };
}

async function cpu(o: Options<'cpu'>, signal: AbortSignal): Promise<BuiltinOutcome> {
  const l = limits(o);
  const a = cpuTimes();
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, o.sampleMs);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
  const b = cpuTimes();
  const total = b.total - a.total;
  const busy = total > 0 ? ((total - (b.idle - a.idle)) / total) * 100 : 0;
  const state = evaluateThresholds(busy, l.warn, l.crit);
  return {
    state,
    output: `CPU ${word(state)} - ${busy.toFixed(1)}% busy over ${o.sampleMs} ms`,
    perfdata: [perf('busy', busy, '%', l, 0, 100)],
  };
}

async function uptime(o: Options<'uptime'>): Promise<BuiltinOutcome> {
  const l = limits(o);
  const seconds = Math.floor(osUptime());
  const state = evaluateThresholds(seconds, l.warn, l.crit);
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return {
    state,
    output: `UPTIME ${word(state)} - up ${d} days, ${h} hours, ${m} minutes`,
    perfdata: [perf('uptime', seconds, 's', l, 0)],
  };
}

async function processCheck(o: Options<'process'>): Promise<BuiltinOutcome> {
  const l = limits(o);
  const list = await si.processes();
  const matching = list.list.filter(
    (p) => p.name === o.name || p.command === o.name || p.path.endsWith(`/${o.name}`),
  );
  const count = matching.length;
  const state = evaluateThresholds(count, l.warn, l.crit);
  return {
    state,
    output: `PROCS ${word(state)} - ${count} process${count === 1 ? '' : 'es'} named '${o.name}'`,
    ...(count > 0
      ? {
          longOutput: matching
            .slice(0, 20)
            .map((p) => `pid ${p.pid}: ${p.command} ${p.params}`.trim())
            .join('\n'),
        }
      : {}),
    perfdata: [perf('procs', count, '', l, 0)],
  };
}

async function tcp(o: Options<'tcp'>, signal: AbortSignal): Promise<BuiltinOutcome> {
  const l = limits(o);
  const started = performance.now();
  const error = await new Promise<string | undefined>((resolve) => {
    const socket = connect({ host: o.address, port: o.port });
    const done = (why: string | undefined): void => {
      socket.destroy();
      resolve(why);
    };
    socket.once('connect', () => done(undefined));
    socket.once('error', (e) => done(e.message));
    signal.addEventListener('abort', () => done('no answer before the timeout'), { once: true });
  });
  const seconds = (performance.now() - started) / 1000;
  if (error !== undefined) {
    return {
      state: CRITICAL,
      output: `TCP CRITICAL - ${o.address}:${o.port}: ${error}`,
      perfdata: [],
    };
  }
  const state = evaluateThresholds(seconds, l.warn, l.crit);
  return {
    state,
    output: `TCP ${word(state)} - ${seconds.toFixed(3)} second response time on ${o.address} port ${o.port}`,
    perfdata: [perf('time', seconds, 's', l, 0)],
  };
}

async function fileAge(o: Options<'file-age'>): Promise<BuiltinOutcome> {
  const l = limits(o);
  let info;
  try {
    info = await stat(o.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      state: CRITICAL,
      output: `FILE_AGE CRITICAL - ${o.path}: ${code === 'ENOENT' ? 'file not found' : String(code)}`,
      perfdata: [],
    };
  }
  const age = Math.max(0, Math.floor((Date.now() - info.mtimeMs) / 1000));
  const state = evaluateThresholds(age, l.warn, l.crit);
  return {
    state,
    output: `FILE_AGE ${word(state)} - ${o.path} is ${age} seconds old and ${info.size} bytes`,
    perfdata: [perf('age', age, 's', l, 0), perf('size', info.size, 'B', undefined, 0)],
  };
}

/** Runs one built-in; `signal` aborts at the check's timeout. */
export async function runBuiltin(
  kind: BuiltinKind,
  rawOptions: unknown,
  signal: AbortSignal,
): Promise<BuiltinOutcome> {
  switch (kind) {
    case 'disk':
      return disk(parseWith(BUILTIN_OPTION_SCHEMAS.disk, rawOptions, 'builtin.options'));
    case 'memory':
      return memory(parseWith(BUILTIN_OPTION_SCHEMAS.memory, rawOptions, 'builtin.options'));
    case 'load':
      return load(parseWith(BUILTIN_OPTION_SCHEMAS.load, rawOptions, 'builtin.options'));
    case 'cpu':
      return cpu(parseWith(BUILTIN_OPTION_SCHEMAS.cpu, rawOptions, 'builtin.options'), signal);
    case 'uptime':
      return uptime(parseWith(BUILTIN_OPTION_SCHEMAS.uptime, rawOptions, 'builtin.options'));
    case 'process':
      return processCheck(parseWith(BUILTIN_OPTION_SCHEMAS.process, rawOptions, 'builtin.options'));
    case 'tcp':
      return tcp(parseWith(BUILTIN_OPTION_SCHEMAS.tcp, rawOptions, 'builtin.options'), signal);
    case 'file-age':
      return fileAge(parseWith(BUILTIN_OPTION_SCHEMAS['file-age'], rawOptions, 'builtin.options'));
  }
}
