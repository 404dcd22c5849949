import type { AgentEventBus } from './events.ts';
import type { IdentityStore } from './identity/store.ts';
import type { FileLogSink, Logger } from './log.ts';
import type { DataPaths } from './paths.ts';
import type { QueueService } from './queue/model.ts';
import type { SecretStore } from './secrets.ts';
import type { Settings } from './settings/settings.ts';
import type { TargetRegistry } from './targets/registry.ts';

/** Everything a module of the core may use. Built once by `Agent.open`. */
export interface AgentContext {
  version: string;
  paths: DataPaths;
  settings: Settings;
  secrets: SecretStore;
  identity: IdentityStore;
  events: AgentEventBus;
  log: Logger;
  logSink: FileLogSink;
  targets: TargetRegistry;
  queue: QueueService;
}

/** What exists before the queue opens: the queue itself is built from it. */
export type QueueContext = Omit<AgentContext, 'queue'>;
