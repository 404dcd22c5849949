/**
 * The agent as a controller of a gorgoned (gorgone.md §9): what the central's
 * proxy does to a poller. Core actions get a direct answer; module actions get
 * `[ACK] {"code":0}` and their outcome is polled with GETLOG {"token"}.
 */
import type { AgentContext } from '../../context.ts';
import { AgentError } from '../../contract/errors.ts';
import type { GorgonePingResult } from '../../contract/gorgone.ts';
import { endpointOf } from './config.ts';
import { agentClientKey, gorgoneTarget, pinnedTrust } from './pairing.ts';
import { CODE, generateToken, routingId } from './codec.ts';
import type { HistoryFilter } from './history.ts';
import { GorgoneSession, type GorgoneResponse, type SessionOptions } from './session.ts';

/** How often a module action's result is polled, and for how long (§9). */
export const ACTION_POLL_INTERVAL_MS = 500;
export const ACTION_POLL_TIMEOUT_MS = 60_000;

export interface PingResult {
  id: string;
  hostname: string;
  /** The server's node connection-status map (§9: `data` of PONG). */
  nodes: Record<string, unknown>;
}

/** A history row as it arrives: `id` may be a string, `token` null (§9 "parse leniently"). */
export interface RemoteHistoryRow {
  id: number;
  token: string | null;
  code: number;
  etime: number;
  ctime: number;
  data: unknown;
}

export interface ActionResult {
  token: string;
  /** 2 finished OK, 1 finished KO (§3). */
  code: number;
  rows: RemoteHistoryRow[];
}

function body(response: GorgoneResponse): { code: number; data: Record<string, unknown> } {
  const json = response.json as { code?: unknown; data?: unknown } | undefined;
  const code = Number(json?.code);
  if (json === undefined || !Number.isInteger(code)) {
    throw new AgentError(
      'protocol',
      `answer to a Gorgone request is not {"code","data"} JSON (${response.action})`,
    );
  }
  const data = (typeof json.data === 'object' && json.data !== null ? json.data : {}) as Record<
    string,
    unknown
  >;
  return { code, data };
}

function failure(what: string, data: Record<string, unknown>): AgentError {
  const message = typeof data.message === 'string' ? data.message : JSON.stringify(data);
  return new AgentError('refused', `Gorgone ${what} failed: ${message}`);
}

export class GorgoneController {
  readonly session: GorgoneSession;

  private constructor(session: GorgoneSession) {
    this.session = session;
  }

  static async connect(
    options: Omit<SessionOptions, 'identity' | 'name'> & { identity?: string },
  ): Promise<GorgoneController> {
    const identity = options.identity ?? routingId('outpost');
    const session = await GorgoneSession.open({ ...options, identity, name: 'gorgone-outpost' });
    return new GorgoneController(session);
  }

  close(): void {
    this.session.close();
  }

  async ping(): Promise<PingResult> {
    const response = await this.session.request('PING', {}, { token: generateToken() });
    if (response.action !== 'PONG')
      throw new AgentError('protocol', `PING was answered with ${response.action}, not PONG`);
    const { code, data } = body(response);
    if (code !== 0) throw failure('PING', data);
    const nodes = data.data;
    return {
      id: scalarText(data.id),
      hostname: scalarText(data.hostname),
      nodes: typeof nodes === 'object' && nodes !== null ? (nodes as Record<string, unknown>) : {},
    };
  }

  async thumbprint(): Promise<string> {
    const { code, data } = body(
      await this.session.request('GETTHUMBPRINT', {}, { token: generateToken() }),
    );
    const inner = data.data as { thumbprint?: unknown } | undefined;
    if (code !== CODE.FINISH_OK || typeof inner?.thumbprint !== 'string')
      throw failure('GETTHUMBPRINT', data);
    return inner.thumbprint;
  }

  async information(): Promise<Record<string, unknown>> {
    const { code, data } = body(
      await this.session.request('INFORMATION', {}, { token: generateToken() }),
    );
    if (code === CODE.FINISH_KO) throw failure('INFORMATION', data);
    return data;
  }

  async getlog(filter: HistoryFilter): Promise<RemoteHistoryRow[]> {
    const { code, data } = body(
      await this.session.request('GETLOG', filter, { token: generateToken() }),
    );
    if (code === CODE.FINISH_KO) throw failure('GETLOG', data);
    const rows = Array.isArray(data.result) ? (data.result as Array<Record<string, unknown>>) : [];
    return rows.map((row) => ({
      id: Number(row.id),
      token: typeof row.token === 'string' ? row.token : null,
      code: Number(row.code),
      etime: Number(row.etime),
      ctime: Number(row.ctime),
      data: typeof row.data === 'string' ? parseLenient(row.data) : row.data,
    }));
  }

  /**
   * A module action (COMMAND, …) with our own unique token, then GETLOG
   * {"token"} until a final row (code 2 or 1) appears (§9).
   */
  async action(
    action: string,
    data: unknown,
    options: { target?: string; pollMs?: number; timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<ActionResult> {
    const token = generateToken();
    const { code, data: ackData } = body(
      await this.session.request(action, data, {
        token,
        ...(options.target === undefined ? {} : { target: options.target }),
      }),
    );
    if (code === CODE.FINISH_KO) throw failure(action, ackData);
    const deadline = Date.now() + (options.timeoutMs ?? ACTION_POLL_TIMEOUT_MS);
    for (;;) {
      const rows = await this.getlog({ token });
      const final = rows.find((r) => r.code === CODE.FINISH_OK || r.code === CODE.FINISH_KO);
      if (final !== undefined) return { token, code: final.code, rows };
      if (Date.now() > deadline || options.signal?.aborted === true) {
        throw new AgentError(
          'timeout',
          `no final result for ${action} (token ${token.slice(0, 12)}…) before the deadline`,
          {
            transient: true,
          },
        );
      }
      await new Promise((resolve) =>
        setTimeout(resolve, options.pollMs ?? ACTION_POLL_INTERVAL_MS),
      );
    }
  }
}

function parseLenient(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Opens a controller session to a paired target, with its pinned key. */
export async function openController(ctx: AgentContext, name: string): Promise<GorgoneController> {
  const target = gorgoneTarget(ctx, name);
  return GorgoneController.connect({
    endpoint: endpointOf(target.config),
    clientKey: await agentClientKey(ctx),
    trust: await pinnedTrust(ctx, name),
    log: ctx.log.child('gorgone'),
  });
}

export async function pingGorgone(ctx: AgentContext, name: string): Promise<GorgonePingResult> {
  const controller = await openController(ctx, name);
  try {
    const pong = await controller.ping();
    return {
      name,
      server: controller.session.endpoint,
      ...pong,
      serverThumbprint: controller.session.serverThumbprint ?? '',
    };
  } finally {
    controller.close();
  }
}

/** A peer's scalar as text; anything else (even an object whose own toString is not callable) reads as ''. */
function scalarText(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}
