/**
 * OnSphere message shapes (onsphere.md §3.4, §3.5, §4.3–§4.5, §4.7): pure
 * functions from network input to typed values and back. No sockets, no
 * timers: this is what the property tests hit. Every name the stack might
 * spell differently lives in TOPOLOGY / topologyFor, nowhere else (§1.7).
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { parsePerfdata } from '../../checks/perfdata.ts';
import { AgentError, describeThrown } from '../../contract/errors.ts';
import type { CheckResultPayload, ValuePayload } from '../../contract/queue-items.ts';
import { resultIdWord } from '../../checks/result.ts';

export const CONFIG_SCHEMA_ID = 'osp.remote-connector.config/1';
export const VALUE_TYPE = 'osp.value/1';
export const REQUEST_TYPE = 'osp.request/1';
/** §2.1: the CN of module.crt is the broker user, the dispatcher path segment and the queue infix. */
export const CONNECTOR_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** §4.3: a routing key is an AMQP shortstr. */
export const MAX_ROUTING_KEY_BYTES = 255;
/** §3.1: body ≤ 4 MiB. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** §4.2: the request queue vanishes 7 days after the connector was last seen. */
export const REQUEST_QUEUE_EXPIRES_MS = 7 * 24 * 3600 * 1000;

export const VALUE_TYPES = ['BOOLEAN', 'INTEGER', 'DECIMAL', 'TEXT'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];
export const QUALITIES = ['GOOD', 'STALE', 'ERROR'] as const;
export type Quality = (typeof QUALITIES)[number];

export function assertConnectorName(name: string, field = 'cn'): void {
  if (!CONNECTOR_NAME_PATTERN.test(name)) {
    throw new AgentError(
      'invalid-request',
      `${field} '${name}' is not a valid OnSphere connector name: use 1–64 letters, digits, '.', '_' or '-' (onsphere.md §2.1)`,
      { field },
    );
  }
}

// ---- config document (§3.4) -------------------------------------------------

const hostSchema = z.object({ host: z.string().min(1), port: z.number().int().min(1).max(65535) });

export const ospConfigSchema = z.object({
  schema: z.literal(CONFIG_SCHEMA_ID),
  version: z.string().min(1).max(200),
  module: z.object({ name: z.string().regex(CONNECTOR_NAME_PATTERN), kind: z.string().min(1) }),
  amqp: z.object({
    hosts: z.array(hostSchema).min(1),
    vhost: z.string().min(1),
    serverName: z.string().min(1),
    heartbeatSeconds: z.number().int().min(1).max(3600),
    exchanges: z.object({
      values: z.string().min(1),
      requests: z.string().min(1),
      config: z.string().min(1),
    }),
    requestQueue: z.string().min(1),
    prefetch: z.number().int().min(1).max(65535),
  }),
  metrics: z.object({ port: z.number().int().min(0).max(65535) }).optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
  secrets: z.record(z.string(), z.string()).optional(),
});
export type OspConfig = z.output<typeof ospConfigSchema>;

/**
 * Validates a dispatcher config body (§3.4). Unknown fields are ignored; a
 * missing required field rejects the whole document, naming its JSON path.
 */
export function parseConfigDocument(body: string | Buffer): OspConfig {
  if (Buffer.byteLength(body) > MAX_CONFIG_BYTES) {
    throw new AgentError(
      'protocol',
      `the dispatcher's config is larger than ${MAX_CONFIG_BYTES} bytes (onsphere.md §3.1)`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString());
  } catch (error) {
    throw new AgentError(
      'protocol',
      `the dispatcher's config is not JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const parsed = ospConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.length === 0 ? '$' : `$.${issue.path.join('.')}`;
    throw new AgentError(
      'protocol',
      `the dispatcher's config was rejected at ${path}: ${issue.message} (onsphere.md §3.4); the previous config stays in force`,
      { field: path },
    );
  }
  return parsed.data;
}

/** The config as kept on disk: secrets are moved to the SecretStore first (§3.4). */
export function withoutSecrets(config: OspConfig): OspConfig {
  const { secrets: _secrets, ...rest } = config;
  return rest;
}

/** `ETag: "v"` ⇄ version. Weak validators compare equal (RFC 9110 §13.1.2 for If-None-Match). */
export function parseEtag(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*(?:W\/)?"([^"]*)"\s*$/.exec(header);
  return m === null ? undefined : m[1];
}

export function formatEtag(version: string): string {
  return `"${version.replace(/"/g, '')}"`;
}

/** `Retry-After` seconds (§3.3); HTTP dates are accepted too. Undefined when absent or nonsense. */
export function parseRetryAfter(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** `{"error":{"code":"CN_MISMATCH","message":"…"}}` (§3.3); undefined for anything else. */
export function parseDispatcherError(body: string): { code: string; message: string } | undefined {
  try {
    const json = JSON.parse(body) as unknown;
    const parsed = z
      .object({ error: z.object({ code: z.string().max(100), message: z.string().max(2000) }) })
      .safeParse(json);
    return parsed.success ? parsed.data.error : undefined;
  } catch {
    return undefined;
  }
}

/** §3.5: `{"version":"<new>"}` on osp.config. */
export function parseConfigNotification(content: Buffer): { version: string } | undefined {
  try {
    const parsed = z
      .object({ version: z.string().min(1).max(200) })
      .safeParse(JSON.parse(content.toString('utf8')));
    return parsed.success ? { version: parsed.data.version } : undefined;
  } catch {
    return undefined;
  }
}

// ---- topology (§4.2, §4.3) -----------------------------------------------------

export interface Topology {
  valuesExchange: string;
  requestsExchange: string;
  configExchange: string;
  requestQueue: string;
  /** Binding of the request queue on the requests exchange. */
  requestBinding: string;
  configQueue: string;
  configKey: string;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every broker object name for one connector (§4.2). Queue names are ours: `osp.connector.<name>.…`. */
export function topologyFor(config: Pick<OspConfig, 'module' | 'amqp'>): Topology {
  const name = config.module.name;
  return {
    valuesExchange: config.amqp.exchanges.values,
    requestsExchange: config.amqp.exchanges.requests,
    configExchange: config.amqp.exchanges.config,
    requestQueue: config.amqp.requestQueue,
    requestBinding: `request.${name}.#`,
    configQueue: `osp.connector.${name}.config`,
    configKey: `config.${name}`,
  };
}

/** The least-privilege permissions of §4.2 for a connector user (what a stack — or our test broker — grants). */
export function connectorPermissions(
  name: string,
  exchanges = { values: 'osp.values', requests: 'osp.requests', config: 'osp.config' },
): { configure: string; write: string; read: string } {
  const own = `^osp\\.connector\\.${escapeRegex(name)}\\.`;
  return {
    configure: own,
    write: `${own}|^${escapeRegex(exchanges.values)}$|^${escapeRegex(exchanges.requests)}$|^amq\\.default$`,
    read: `${own}|^${escapeRegex(exchanges.requests)}$|^${escapeRegex(exchanges.config)}$`,
  };
}

/** `value.<module>.<valueId>` (§4.3); longer than 255 bytes is refused at the boundary. */
export function valueRoutingKey(moduleName: string, valueId: string): string {
  const key = `value.${moduleName}.${valueId}`;
  if (Buffer.byteLength(key) > MAX_ROUTING_KEY_BYTES) {
    throw new AgentError(
      'invalid-request',
      `value id '${valueId.slice(0, 40)}…' makes a routing key longer than ${MAX_ROUTING_KEY_BYTES} bytes (AMQP shortstr, onsphere.md §4.3): shorten it`,
      { field: 'valueId' },
    );
  }
  return key;
}

// ---- values (§4.4) -------------------------------------------------------------------

export const VALUE_ID_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export function assertValueId(valueId: string, field = 'valueId'): void {
  if (!VALUE_ID_PATTERN.test(valueId)) {
    throw new AgentError(
      'invalid-request',
      `${field} '${valueId.slice(0, 80)}' must be a dotted OnSphere value path (words of letters, digits, _ or -, e.g. root.site1.ups.temp)`,
      { field },
    );
  }
}

export function valueTypeOf(value: number | string | boolean): ValueType {
  if (typeof value === 'boolean') return 'BOOLEAN';
  if (typeof value === 'string') return 'TEXT';
  return Number.isInteger(value) ? 'INTEGER' : 'DECIMAL';
}

export function qualityOf(quality: string | undefined, field = 'quality'): Quality {
  const q = (quality ?? 'GOOD').toUpperCase();
  if (!(QUALITIES as readonly string[]).includes(q)) {
    throw new AgentError(
      'invalid-request',
      `${field} must be one of ${QUALITIES.join(', ')}, got '${quality}'`,
      { field },
    );
  }
  return q as Quality;
}

export interface ValueBody {
  id: string;
  value: boolean | number | string;
  type: ValueType;
  quality: Quality;
  ts: string;
  source?: Record<string, unknown>;
}

export interface EncodedMessage {
  exchange: string;
  routingKey: string;
  content: Buffer;
  properties: {
    contentType: string;
    deliveryMode?: number;
    messageId?: string;
    timestamp?: number;
    type?: string;
    appId: string;
    headers?: Record<string, unknown>;
    correlationId?: string;
    mandatory: boolean;
  };
}

/** Checks a value can travel before it is queued (§4.3, §4.4). */
export function validateValue(value: ValuePayload, moduleName = 'm'): void {
  assertValueId(value.valueId);
  valueRoutingKey(moduleName, value.valueId);
  qualityOf(value.quality);
  if (typeof value.value === 'number' && !Number.isFinite(value.value)) {
    throw new AgentError(
      'invalid-request',
      'value must be a finite number, true/false or text (JSON has no NaN or Infinity)',
      { field: 'value' },
    );
  }
}

/**
 * One value as published (§4.4). `messageId` must be stable across re-sends
 * (receivers dedupe on it), so the caller derives it from the queue item.
 */
export function encodeValue(
  value: ValuePayload,
  options: { module: string; exchange: string; seq: number; messageId: string },
): EncodedMessage {
  validateValue(value, options.module);
  const body: ValueBody = {
    id: value.valueId,
    value: value.value,
    type: valueTypeOf(value.value),
    quality: qualityOf(value.quality),
    ts: new Date(value.timestamp).toISOString(),
  };
  return {
    exchange: options.exchange,
    routingKey: valueRoutingKey(options.module, value.valueId),
    content: Buffer.from(JSON.stringify(body)),
    properties: {
      contentType: 'application/json',
      deliveryMode: 2,
      messageId: options.messageId,
      timestamp: Math.floor(value.timestamp / 1000),
      type: VALUE_TYPE,
      appId: 'outpost',
      headers: { 'x-osp-module': options.module, 'x-osp-seq': options.seq },
      mandatory: true,
    },
  };
}

const valueBodySchema = z.object({
  id: z.string().regex(VALUE_ID_PATTERN),
  value: z.union([z.boolean(), z.number(), z.string()]),
  type: z.enum(VALUE_TYPES),
  quality: z.enum(QUALITIES),
  ts: z.string(),
  source: z.record(z.string(), z.unknown()).optional(),
});

/** What a consuming OnSphere module reads back (tests, and values echoed by the stack). */
export function parseValueBody(content: Buffer): ValueBody {
  let json: unknown;
  try {
    json = JSON.parse(content.toString('utf8'));
  } catch (error) {
    throw new AgentError('protocol', `value message is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const parsed = valueBodySchema.safeParse(json);
  if (!parsed.success)
    throw new AgentError(
      'protocol',
      `value message rejected: ${parsed.error.issues[0]!.message} at ${parsed.error.issues[0]!.path.join('.')}`,
    );
  return parsed.data as ValueBody;
}

/**
 * §4.4: message_id is a UUID v4, stable across re-sends. A queue item may carry
 * several values (a check result), so the id is derived from the item id and
 * the value's index: the same item re-sent gives the same ids.
 */
export function messageIdFor(itemId: string, index = 0): string {
  const h = createHash('sha256').update(`${itemId}\0${index}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function newMessageId(): string {
  return randomUUID();
}

/**
 * A check result as OnSphere values (issue #10): `<prefix>.state` (0..3) and
 * `<prefix>.<label>` per perfdata value; `U` values are left out. The one
 * mapping for queued check-result items and for local checks' results.
 */
export function resultValues(
  prefix: string,
  result: { state: number; executionEnd: number },
  perfdata: ReadonlyArray<{ label: string; value: number | undefined }>,
): ValuePayload[] {
  const timestamp = Math.round(result.executionEnd * 1000);
  const values: ValuePayload[] = [
    {
      valueId: `${prefix}.state`,
      value: result.state,
      timestamp,
      quality: result.state === 3 ? 'ERROR' : 'GOOD',
    },
  ];
  for (const item of perfdata) {
    if (item.value === undefined) continue;
    values.push({
      valueId: `${prefix}.${resultIdWord(item.label)}`,
      value: item.value,
      timestamp,
      quality: 'GOOD',
    });
  }
  return values;
}

/** A queued check-result item as values: `outpost.<host>.<service>` unless a base is given. */
export function checkResultValues(result: CheckResultPayload, base?: string): ValuePayload[] {
  const prefix =
    base ??
    [
      'outpost',
      resultIdWord(result.host),
      resultIdWord(result.service ?? result.check ?? 'host'),
    ].join('.');
  return resultValues(prefix, result, parsePerfdata(result.performanceData.join(' ')).items);
}

// ---- requests and replies (§4.5) ---------------------------------------------------

export interface OspRequest {
  action: string;
  id?: string;
  value?: unknown;
  replyTo: string | undefined;
  correlationId: string | undefined;
  messageId: string | undefined;
  redelivered: boolean;
}

export interface IncomingMessage {
  content: Buffer;
  fields: { routingKey: string; redelivered: boolean };
  properties: { replyTo?: unknown; correlationId?: unknown; messageId?: unknown; type?: unknown };
}

export type ParsedRequest =
  | { ok: true; request: OspRequest }
  | {
      ok: false;
      error: { code: string; message: string };
      replyTo: string | undefined;
      correlationId: string | undefined;
      messageId: string | undefined;
    };

const requestBodySchema = z.object({
  action: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'action must be a word of letters, digits, _ or -'),
  id: z.string().max(MAX_ROUTING_KEY_BYTES).optional(),
  value: z.unknown().optional(),
});

function optionalString(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A request from the stack (§4.5). Never throws: a bad request is answered with an error reply. */
export function parseRequest(message: IncomingMessage): ParsedRequest {
  const replyTo = optionalString(message.properties.replyTo);
  const correlationId = optionalString(message.properties.correlationId);
  const messageId = optionalString(message.properties.messageId);
  const fail = (code: string, text: string): ParsedRequest => ({
    ok: false,
    error: { code, message: text },
    replyTo,
    correlationId,
    messageId,
  });
  let json: unknown;
  try {
    json = JSON.parse(message.content.toString('utf8'));
  } catch {
    return fail('BAD_REQUEST', 'request body is not JSON');
  }
  const parsed = requestBodySchema.safeParse(json);
  if (!parsed.success)
    return fail(
      'BAD_REQUEST',
      `request rejected: ${parsed.error.issues[0]!.message}${parsed.error.issues[0]!.path.length > 0 ? ` at ${parsed.error.issues[0]!.path.join('.')}` : ''}`,
    );
  const request: OspRequest = {
    action: parsed.data.action,
    replyTo,
    correlationId,
    messageId,
    redelivered: message.fields.redelivered,
  };
  if (parsed.data.id !== undefined) request.id = parsed.data.id;
  if (parsed.data.value !== undefined) request.value = parsed.data.value;
  return { ok: true, request };
}

export type ReplyBody =
  { status: 'ok'; result: unknown } | { status: 'error'; error: { code: string; message: string } };

/** A reply through the default exchange, key = reply_to, same correlation_id (§4.5). */
export function encodeReply(
  replyTo: string,
  correlationId: string | undefined,
  body: ReplyBody,
): EncodedMessage {
  return {
    exchange: '',
    routingKey: replyTo,
    content: Buffer.from(JSON.stringify(body)),
    properties: {
      contentType: 'application/json',
      appId: 'outpost',
      mandatory: true,
      ...(correlationId === undefined ? {} : { correlationId }),
    },
  };
}

/** A reply to a request (§4.5), as the stack reads it. Throws AgentError on anything else. */
export function parseReply(content: Buffer): ReplyBody {
  let json: unknown;
  try {
    json = JSON.parse(content.toString('utf8'));
  } catch (error) {
    throw new AgentError('protocol', `reply is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const parsed = z
    .union([
      z.object({ status: z.literal('ok'), result: z.unknown() }),
      z.object({
        status: z.literal('error'),
        error: z.object({ code: z.string(), message: z.string() }),
      }),
    ])
    .safeParse(json);
  if (!parsed.success)
    throw new AgentError('protocol', 'reply is neither {"status":"ok"} nor {"status":"error"}');
  return parsed.data as ReplyBody;
}

// ---- failure classes (§3.1, §4.7) ---------------------------------------------------

export type FailureClass = 'transient' | 'permanent';

export interface ClassifiedFailure {
  class: FailureClass;
  code: 'unreachable' | 'timeout' | 'unauthorized' | 'untrusted-peer' | 'refused' | 'protocol';
  /** What a person should do about it. */
  reason: string;
}

/** Maps what amqplib / node:tls throw to the classes of §4.7 (and §3.1 for the dispatcher). */
export function classifyFailure(error: unknown, where: string): ClassifiedFailure {
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : describeThrown(error);
  const text = `${code} ${message}`;
  const has = (re: RegExp): boolean => re.test(text);
  if (
    has(
      /CERTIFICATE_REQUIRED|certificate required|SSLV3_ALERT_HANDSHAKE_FAILURE|handshake failure/i,
    )
  ) {
    return {
      class: 'permanent',
      code: 'unauthorized',
      reason: `${where} requires a client certificate and did not accept ours (none sent?): check module.crt / module.key`,
    };
  }
  if (has(/ALERT_UNKNOWN_CA|unknown ca/i)) {
    return {
      class: 'permanent',
      code: 'unauthorized',
      reason: `${where} does not trust the issuer of our certificate (unknown CA): module.crt must come from the stack's CA`,
    };
  }
  if (
    has(
      /ALERT_PROTOCOL_VERSION|protocol version|UNSUPPORTED_PROTOCOL|NO_PROTOCOLS_AVAILABLE|wrong version number/i,
    )
  ) {
    return {
      class: 'permanent',
      code: 'refused',
      reason: `${where} refused our TLS version (the dispatcher speaks TLS 1.3 only, the broker TLS 1.2 or 1.3)`,
    };
  }
  if (has(/ACCESS.REFUSED|\b403 \(/) && has(/EXTERNAL|authentication|login/i)) {
    return {
      class: 'permanent',
      code: 'unauthorized',
      reason: `${where} has no user for our certificate's CN (EXTERNAL login refused): the stack must declare this connector`,
    };
  }
  if (has(/SASL mechanism/i)) {
    return {
      class: 'permanent',
      code: 'protocol',
      reason: `${where} does not offer SASL EXTERNAL: the broker needs rabbitmq_auth_mechanism_ssl`,
    };
  }
  if (has(/Expected ConnectionOpenOk|NOT.ALLOWED|\b530 \(/)) {
    return {
      class: 'permanent',
      code: 'refused',
      reason: `${where} refused the vhost (missing, or our user has no permission on it)`,
    };
  }
  if (
    has(
      /SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|CERT_SIGNATURE_FAILURE|self.signed/i,
    )
  ) {
    return {
      class: 'permanent',
      code: 'untrusted-peer',
      reason: `${where} presented a certificate that does not chain to our ca.crt`,
    };
  }
  if (has(/ERR_TLS_CERT_ALTNAME_INVALID|altnames/i)) {
    return {
      class: 'permanent',
      code: 'untrusted-peer',
      reason: `${where}'s certificate does not name the host we expect`,
    };
  }
  if (has(/CERT_HAS_EXPIRED|CERT_NOT_YET_VALID/)) {
    return {
      class: 'permanent',
      code: 'untrusted-peer',
      reason: `${where}'s certificate is expired or not yet valid`,
    };
  }
  if (has(/ACCESS.REFUSED|\b403 \(/)) {
    return {
      class: 'permanent',
      code: 'refused',
      reason: `${where} refused an operation (ACCESS_REFUSED): ${message.slice(0, 200)}`,
    };
  }
  if (has(/RESOURCE.LOCKED|\b405 \(/)) {
    return {
      class: 'transient',
      code: 'refused',
      reason: `${where}: another connection of this connector holds its exclusive queue (is Outpost running twice?)`,
    };
  }
  if (has(/NOT.FOUND|\b404 \(/) && has(/exchange/i)) {
    return {
      class: 'transient',
      code: 'refused',
      reason: `${where}: the stack's exchanges are not declared yet (stack not ready): ${message.slice(0, 200)}`,
    };
  }
  if (has(/ETIMEDOUT|timeout|timed out/i))
    return { class: 'transient', code: 'timeout', reason: `${where} did not answer in time` };
  return {
    class: 'transient',
    code: 'unreachable',
    reason: `${where} is unreachable: ${message.slice(0, 200)}`,
  };
}

/** §4.7: 0.5 s × 2ⁿ, capped at 30 s, ±20 %. `random` in [0,1). */
export function backoffMs(
  attempt: number,
  random: number = Math.random(),
  base = 500,
  cap = 30_000,
): number {
  const raw = Math.min(cap, base * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(raw * (0.8 + 0.4 * random));
}
