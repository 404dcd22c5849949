import { Agent } from '../../../../main/core/agent.ts';
import type { IcingaClient } from '../../../../main/core/protocols/icinga/session-pool.ts';
import { createIcingaModule } from '../../../../main/core/protocols/icinga/index.ts';
import { pairIcinga } from '../../../../main/core/protocols/icinga/pairing.ts';
import type { CheckResultPayload, QueueItem } from '../../../../main/core/contract/queue-items.ts';
import type { TargetDriver } from '../../../../main/core/targets/driver.ts';
import type { IcingaMaster } from '../../../peers/icinga2.ts';
import { captureInstance } from '../../../module-instance.ts';
import { makeTempDir } from '../../../peers/util.ts';

export interface TestAgent {
  agent: Agent;
  driver: TargetDriver<unknown>;
  /** The agent's Icinga sessions: `client.session(record)` connects as the daemon would. */
  client: IcingaClient;
  close(): Promise<void>;
}

/** An agent with its own icinga module instance (isolated from AGENT_MODULES). */
export async function openIcingaAgent(
  prefix = 'icinga',
  moduleOptions: { pendingPollMs?: number } = {},
): Promise<TestAgent> {
  const { dir, cleanup } = await makeTempDir(prefix);
  const icinga = captureInstance(createIcingaModule(moduleOptions));
  const agent = await Agent.open({ dataDir: dir, logToFile: false, modules: [icinga.module] });
  return {
    agent,
    driver: agent.context.targets.driver('icinga'),
    client: icinga.instance().client,
    async close() {
      await agent.close();
      await cleanup();
    },
  };
}

export async function pairWithTicket(
  agent: Agent,
  master: IcingaMaster,
  target: string,
  cn: string,
): Promise<void> {
  const result = await pairIcinga(agent.context, {
    target,
    host: '127.0.0.1',
    port: master.port,
    cn,
    ticket: await master.ticket(cn),
    trustFingerprint: master.fingerprint,
    waitSeconds: 0,
  });
  if (result.state !== 'paired') throw new Error(`pairing ${cn} did not complete: ${result.state}`);
}

let counter = 0;

export function checkResultItem(
  target: string,
  result: Partial<CheckResultPayload> & { host: string },
): QueueItem {
  const now = Date.now() / 1000;
  counter++;
  return {
    id: `item-${counter}`,
    target,
    payload: {
      kind: 'check-result',
      result: {
        state: 0,
        output: 'OK',
        performanceData: [],
        executionStart: now,
        executionEnd: now,
        ...result,
      },
    },
    state: 'sending',
    createdAt: Date.now(),
    attempts: 0,
    nextAttemptAt: 0,
    lastError: undefined,
    bytesTotal: 0,
    bytesSent: 0,
    deliveredAt: undefined,
  };
}

export function deliveryContext(): { signal: AbortSignal; progress(): void } {
  return { signal: new AbortController().signal, progress: () => undefined };
}
