/**
 * The one contract between the agent and every UI (ARCHITECTURE.md "One typed
 * contract"). Main, preload, renderer, the web UI host and the CLI all derive
 * their callers and handlers from `agentContract`; a renamed method is a
 * compile error everywhere.
 */
import type { z } from 'zod';
import { coreContract, type CoreEvents } from './core.ts';
import { checksContract, type ChecksEvents } from './checks.ts';
import type { ApiOf, HandlersOf } from './define.ts';
import { AgentError } from './errors.ts';
import { parseWith } from './parse.ts';
import { gorgoneContract, type GorgoneEvents } from './gorgone.ts';
import { icingaContract, type IcingaEvents } from './icinga.ts';
import { onsphereContract, type OnsphereEvents } from './onsphere.ts';
import { queueContract, type QueueEvents } from './queue.ts';
import { tentacleContract, type TentacleEvents } from './tentacle.ts';

export const agentContract = {
  ...coreContract,
  ...queueContract,
  ...tentacleContract,
  ...icingaContract,
  ...gorgoneContract,
  ...onsphereContract,
  ...checksContract,
};

export type AgentContract = typeof agentContract;
export type AgentMethod = keyof AgentContract;
export type AgentApi = ApiOf<AgentContract>;
export type AgentHandlers = HandlersOf<AgentContract>;
export type AgentRequest<M extends AgentMethod> = z.input<AgentContract[M]['request']>;
export type AgentResponse<M extends AgentMethod> = Awaited<ReturnType<AgentApi[M]>>;

export type AgentEvents = CoreEvents &
  QueueEvents &
  TentacleEvents &
  IcingaEvents &
  GorgoneEvents &
  OnsphereEvents &
  ChecksEvents;
export type AgentEventName = keyof AgentEvents;

export const AGENT_METHODS = Object.keys(agentContract) as AgentMethod[];

export function isAgentMethod(name: unknown): name is AgentMethod {
  return typeof name === 'string' && Object.hasOwn(agentContract, name);
}

/** The check every entry (IPC, WebSocket, CLI) runs before a request reaches a handler. */
export function parseRequest(
  methodName: unknown,
  raw: unknown,
): { method: AgentMethod; request: unknown } {
  if (!isAgentMethod(methodName)) {
    // A caller's string is echoed short: a megabyte method name is not worth sending back.
    const message =
      typeof methodName !== 'string'
        ? `method must be a string naming an AgentApi method, got ${methodName === null ? 'null' : typeof methodName}`
        : `unknown method '${methodName.length > 64 ? `${methodName.slice(0, 64)}…` : methodName}'`;
    throw new AgentError('invalid-request', message, { field: 'method' });
  }
  const spec = agentContract[methodName];
  return { method: methodName, request: parseWith(spec.request, raw ?? {}) };
}

export type {
  AgentInfo,
  IdentitySummary,
  PairingStep,
  TargetSummary,
  ThumbprintResult,
} from './core.ts';
export type { SerializedAgentError } from './errors.ts';
