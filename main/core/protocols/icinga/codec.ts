/**
 * Icinga 2 cluster protocol codec (spec icinga2.md §2.3 framing, §2.4
 * envelope, §3.4 pki messages, §4.2 check results). Pure: bytes in, values
 * out, no I/O, so every parser here is fuzzed (tests/core/protocols/icinga/codec.test.ts).
 */
import type { EpochSeconds } from '../../clock.ts';
import { ownValue } from '../../own.ts';

/** Icinga's reader allows 1–9 length digits (§2.3). */
const MAX_LENGTH_DIGITS = 9;
/** The master's cap on connections without a known Endpoint (§2.3); we apply it to everything we read while pairing. */
export const ANONYMOUS_MAX_PAYLOAD = 1024 * 1024;
/** Our own cap once authenticated: config::Update of a big zone may be large, but not unbounded. */
export const AUTHENTICATED_MAX_PAYLOAD = 64 * 1024 * 1024;
/** 2.13.6 → 21306 (§2.5). */
export const PROTOCOL_VERSION = 21306;

export class FramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FramingError';
  }
}

/** `<len>:<payload>,` where len counts UTF-8 bytes. */
export function encodeNetstring(payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([
    Buffer.from(`${body.length}:`, 'latin1'),
    body,
    Buffer.from(',', 'latin1'),
  ]);
}

const COLON = 0x3a;
const COMMA = 0x2c;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * Incremental netstring reader with the master's rules (§2.3): 1–9 digits, no
 * leading zero unless the length is 0, `:`, payload, mandatory `,`. A frame may
 * span chunks and one chunk may hold several frames.
 *
 * Copies stay linear in the bytes received: frames inside one chunk are views
 * of it, and a frame spread over many chunks is collected and joined once
 * when complete (a join per chunk made a 64 MiB frame in 16 KiB chunks copy
 * 128 GiB and block the process for tens of seconds).
 */
export class NetstringDecoder {
  /** Bytes before the next frame's payload: an unfinished length prefix (≤ 9 digits). */
  #head: Buffer = Buffer.alloc(0);
  /** The frame being received once its length is known: payload and comma, as they came. */
  #body: Buffer[] = [];
  #bodyBytes = 0;
  /** Payload length + 1 (the comma) of that frame; 0 while no length is known. */
  #bodyNeeded = 0;
  /** Bytes of that frame's length prefix and colon, already read. */
  #prefixBytes = 0;
  #maxPayload: number;

  constructor(maxPayload: number = ANONYMOUS_MAX_PAYLOAD) {
    this.#maxPayload = maxPayload;
  }

  set maxPayload(value: number) {
    this.#maxPayload = value;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get pending(): number {
    return this.#head.length + this.#prefixBytes + this.#bodyBytes;
  }

  /** Appends a chunk and returns every complete payload. Throws FramingError on a violation. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let buf: Buffer;
    if (this.#bodyNeeded > 0) {
      this.#body.push(chunk);
      this.#bodyBytes += chunk.length;
      if (this.#bodyBytes < this.#bodyNeeded) return out;
      // Only the last chunk can reach past the frame: the rest of it is the next frame's start.
      const beyond = this.#bodyBytes - this.#bodyNeeded;
      const frame = Buffer.concat(this.#body, this.#bodyNeeded);
      this.#body = [];
      this.#bodyBytes = 0;
      this.#bodyNeeded = 0;
      this.#prefixBytes = 0;
      if (frame[frame.length - 1] !== COMMA)
        throw new FramingError('invalid netstring: missing , after the payload');
      out.push(frame.subarray(0, frame.length - 1));
      buf = chunk.subarray(chunk.length - beyond);
    } else {
      buf = this.#head.length === 0 ? chunk : Buffer.concat([this.#head, chunk]);
    }
    let offset = 0;
    for (;;) {
      const frame = this.#readFrame(buf, offset);
      if (frame === undefined) break;
      if ('payload' in frame) {
        out.push(frame.payload);
        offset = frame.next;
        continue;
      }
      // Length known, payload incomplete: collect it without copying.
      const started = buf.subarray(frame.payloadStart);
      this.#body = [started];
      this.#bodyBytes = started.length;
      this.#bodyNeeded = frame.length + 1;
      this.#prefixBytes = frame.payloadStart - offset;
      this.#head = Buffer.alloc(0);
      return out;
    }
    this.#head = buf.subarray(offset);
    return out;
  }

  #readFrame(
    buf: Buffer,
    start: number,
  ): { payload: Buffer; next: number } | { length: number; payloadStart: number } | undefined {
    let i = start;
    let length = 0;
    while (i < buf.length && buf[i] !== COLON) {
      const c = buf[i]!;
      if (c < ZERO || c > NINE)
        throw new FramingError(`invalid netstring: byte 0x${c.toString(16)} in the length`);
      if (i - start >= MAX_LENGTH_DIGITS)
        throw new FramingError('invalid netstring: length has more than 9 digits');
      if (i > start && buf[start] === ZERO)
        throw new FramingError('invalid netstring: leading zero in the length');
      length = length * 10 + (c - ZERO);
      i++;
    }
    if (i >= buf.length) return undefined;
    if (i === start) throw new FramingError('invalid netstring: empty length');
    if (length > this.#maxPayload) {
      throw new FramingError(`frame of ${length} bytes exceeds the ${this.#maxPayload}-byte limit`);
    }
    const payloadStart = i + 1;
    const end = payloadStart + length;
    if (buf.length < end + 1) return { length, payloadStart };
    if (buf[end] !== COMMA)
      throw new FramingError('invalid netstring: missing , after the payload');
    return { payload: buf.subarray(payloadStart, end), next: end + 1 };
  }
}

export type JsonObject = Record<string, unknown>;

/** One decoded cluster message: a request/notification (`method`) or a response (`id` without method). */
export interface RpcMessage {
  jsonrpc?: unknown;
  method?: string;
  params?: JsonObject;
  id?: unknown;
  result?: unknown;
  error?: unknown;
  ts?: number;
}

/** The payload must be a JSON object (§2.3); anything else is a protocol error. */
export function decodeMessage(payload: Buffer): RpcMessage {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    throw new FramingError(`payload is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FramingError('payload is not a JSON object');
  }
  const raw = value as JsonObject;
  const message: RpcMessage = { ...raw } as RpcMessage;
  if ('method' in raw && typeof raw.method !== 'string')
    throw new FramingError('method is not a string');
  if (
    'params' in raw &&
    (typeof raw.params !== 'object' || raw.params === null || Array.isArray(raw.params))
  ) {
    // Icinga ignores params of other shapes; we treat them as absent.
    delete message.params;
  }
  if ('ts' in raw && typeof raw.ts !== 'number') delete message.ts;
  return message;
}

export function encodeMessage(message: JsonObject): Buffer {
  return encodeNetstring(JSON.stringify(message));
}

export function notification(
  method: string,
  params: JsonObject,
  extra: { id?: string; ts?: number } = {},
): JsonObject {
  const out: JsonObject = { jsonrpc: '2.0', method, params };
  if (extra.ts !== undefined) out.ts = extra.ts;
  if (extra.id !== undefined) out.id = extra.id;
  return out;
}

/**
 * §2.5: we send capabilities 0. Bit 0 (ExecuteArbitraryCommand) would invite `execute-command` API
 * requests, which we do not run; command-endpoint checks (§4.6) need no capability bit.
 */
export function helloMessage(capabilities = 0): JsonObject {
  return notification('icinga::Hello', { version: PROTOCOL_VERSION, capabilities });
}

export function heartbeatMessage(): JsonObject {
  return notification('event::Heartbeat', {});
}

export function setLogPositionMessage(position: number): JsonObject {
  return notification('log::SetLogPosition', { log_position: position });
}

/** §3.4: always with an id (the only way to learn errors and pending state). */
export function requestCertificateMessage(
  id: string,
  ticket: string | undefined,
): JsonObject & { id: string } {
  return {
    jsonrpc: '2.0',
    id,
    method: 'pki::RequestCertificate',
    params: ticket === undefined || ticket === '' ? {} : { ticket },
  };
}

export interface CheckResultFields {
  host: string;
  service?: string;
  /** 0..3 already mapped for the object type (see toIcingaState). */
  state: number;
  exitStatus: number;
  output: string;
  performanceData: string[];
  checkSource: string;
  executionStart: EpochSeconds;
  executionEnd: EpochSeconds;
  scheduleStart: EpochSeconds;
  scheduleEnd: EpochSeconds;
  /** false for passive results; true for answers to event::ExecuteCommand (§4.6). */
  active: boolean;
  ttl?: number;
}

/**
 * §4.2: `type` and `performance_data` must be present or the master stores
 * an empty result; `state` is what it uses, `exit_status` is kept equal.
 */
export function checkResultParams(fields: CheckResultFields): JsonObject {
  const params: JsonObject = {
    host: fields.host,
    cr: {
      type: 'CheckResult',
      state: fields.state,
      exit_status: fields.exitStatus,
      output: fields.output,
      performance_data: fields.performanceData,
      check_source: fields.checkSource,
      scheduling_source: fields.checkSource,
      schedule_start: fields.scheduleStart,
      schedule_end: fields.scheduleEnd,
      execution_start: fields.executionStart,
      execution_end: fields.executionEnd,
      active: fields.active,
      ttl: fields.ttl ?? 0,
      command: null,
      vars_before: null,
      vars_after: null,
    },
  };
  if (fields.service !== undefined) params.service = fields.service;
  return params;
}

/**
 * Host vs service state (§4.2): services use 0..3 as is; for hosts the master
 * maps 0/1 → UP and 2/3 → DOWN, so a plugin's WARNING (1) stays UP and
 * CRITICAL/UNKNOWN become DOWN (2). We send 0 or 2 for hosts so what the
 * master stores says exactly UP or DOWN.
 */
export function toIcingaState(state: number, isHost: boolean): number {
  if (!isHost) return state;
  return state <= 1 ? 0 : 2;
}

/** Parameters of a pki::RequestCertificate answer or a pki::UpdateCertificate notification (§3.4). */
export interface CertificateAnswer {
  statusCode: number;
  ca?: string;
  cert?: string;
  fingerprintRequest?: string;
  error?: string;
}

export function parseCertificateAnswer(value: unknown): CertificateAnswer | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as JsonObject;
  if (typeof v.status_code !== 'number') return undefined;
  const out: CertificateAnswer = { statusCode: v.status_code };
  if (typeof v.ca === 'string') out.ca = v.ca;
  if (typeof v.cert === 'string') out.cert = v.cert;
  if (typeof v.fingerprint_request === 'string') out.fingerprintRequest = v.fingerprint_request;
  if (typeof v.error === 'string') out.error = v.error;
  return out;
}

/** `event::ExecuteCommand` params (§4.6) as far as we use them. */
export interface ExecuteCommandRequest {
  command: string;
  commandType: string;
  host: string;
  service?: string;
  macros: JsonObject;
  checkTimeout?: number;
  /** Set for `execute-command` API requests (answered with event::ExecutedCommand). */
  source?: string;
  deadline?: number;
}

export function parseExecuteCommand(
  params: JsonObject | undefined,
): ExecuteCommandRequest | undefined {
  if (params === undefined || typeof params.host !== 'string' || typeof params.command !== 'string')
    return undefined;
  const out: ExecuteCommandRequest = {
    command: params.command,
    commandType: typeof params.command_type === 'string' ? params.command_type : 'check_command',
    host: params.host,
    macros:
      typeof params.macros === 'object' && params.macros !== null && !Array.isArray(params.macros)
        ? (params.macros as JsonObject)
        : {},
  };
  if (typeof params.service === 'string') out.service = params.service;
  if (typeof params.check_timeout === 'number') out.checkTimeout = params.check_timeout;
  if (typeof params.source === 'string') out.source = params.source;
  if (typeof params.deadline === 'number') out.deadline = params.deadline;
  return out;
}

/**
 * Host names declared in the files a `config::Update` carries for our zone
 * (§2.5 step 3). Used to refuse results for hosts outside the zone (§4.3.3)
 * instead of letting the master drop them silently. Hosts cannot come from
 * apply rules, so plain `object Host "x"` declarations are the complete list
 * of what the zone's synced config holds; services are not checked (they are
 * often created by apply rules we do not evaluate). Undefined when the update
 * has nothing for our zone: then we cannot tell and do not refuse.
 */
export function zoneHostsFromConfigUpdate(
  params: JsonObject | undefined,
  zone: string,
): Set<string> | undefined {
  const update = params?.update;
  if (typeof update !== 'object' || update === null) return undefined;
  const files = ownValue(update as JsonObject, zone);
  if (typeof files !== 'object' || files === null) return undefined;
  const hosts = new Set<string>();
  for (const [name, content] of Object.entries(files as JsonObject)) {
    if (!name.endsWith('.conf') || typeof content !== 'string') continue;
    for (const match of content.matchAll(/object\s+Host\s+"((?:[^"\\]|\\.)*)"/g)) {
      hosts.add(match[1]!.replace(/\\(.)/g, '$1'));
    }
  }
  return hosts.size === 0 ? undefined : hosts;
}
