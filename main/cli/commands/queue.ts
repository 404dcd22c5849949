import { inBackground } from '../../core/background.ts';
import type { QueueItemView } from '../../core/contract/queue.ts';
import { ITEM_STATES, type ItemState } from '../../core/contract/queue-items.ts';
import type { QueueStats } from '../../core/contract/queue.ts';
import { formatBytes } from '../../core/queue/service.ts';
import type { CliContext, CommandSpec } from '../command.ts';
import {
  flag,
  integerOption,
  listOption,
  requiredOption,
  stringOption,
  UsageError,
} from '../command.ts';
import { keyValues, table } from '../format.ts';

function describeItem(item: QueueItemView): string {
  const p = item.payload;
  if (p.kind === 'file') return `${p.file.fileName} (${formatBytes(p.file.size)})`;
  if (p.kind === 'check-result')
    return `${p.result.host}${p.result.service === undefined ? '' : `!${p.result.service}`} state ${p.result.state}`;
  if (p.kind === 'value') return `${p.value.valueId}=${String(p.value.value)}`;
  return 'message';
}

function stateOption(raw: string | undefined): ItemState | undefined {
  if (raw === undefined) return undefined;
  if (!(ITEM_STATES as readonly string[]).includes(raw)) {
    throw new UsageError(`--state must be one of ${ITEM_STATES.join(', ')}, got '${raw}'`);
  }
  return raw as ItemState;
}

/** Items of this state and target, from the per-target counts of `queue stats`. */
function matchingCount(
  stats: QueueStats,
  state: ItemState | undefined,
  target: string | undefined,
): number {
  return stats.targets
    .filter((t) => target === undefined || t.target === target)
    .reduce(
      (sum, t) =>
        sum +
        (state === undefined
          ? ITEM_STATES.reduce((all, s) => all + t.counts[s], 0)
          : t.counts[state]),
      0,
    );
}

function targetsOf(args: { options: Record<string, unknown> }): string[] {
  const targets = listOption(args as never, 'target');
  if (targets.length === 0)
    throw new UsageError('--target is required (repeat it to fan out to several targets)');
  return targets;
}

/** Waits on the agent's events until every item is delivered or failed, drawing a bar on a TTY. */
async function waitForItems(ctx: CliContext, ids: string[]): Promise<QueueItemView[]> {
  const agent = await ctx.agent();
  const pending = new Set(ids);
  const run = new AbortController();
  const done = new Promise<void>((resolve) => {
    const check = async (): Promise<void> => {
      for (const id of [...pending]) {
        const item = await agent.api.getQueueItem({ id });
        if (item.state === 'delivered' || item.state === 'failed' || item.state === 'cancelled')
          pending.delete(id);
      }
      if (pending.size === 0) resolve();
    };
    const checkInBackground = (): void =>
      inBackground(agent.context.log, 'queue --wait status check', check);
    agent.events.on('queue.item', checkInBackground);
    agent.events.on('queue.progress', (p) => {
      const width = 30;
      const filled = p.bytesTotal === 0 ? width : Math.round((p.bytesSent / p.bytesTotal) * width);
      const eta = p.etaSeconds === undefined ? '' : ` ETA ${p.etaSeconds}s`;
      ctx.status(
        `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${formatBytes(p.bytesSent)}/${formatBytes(p.bytesTotal)} ${formatBytes(p.rateBytesPerSecond)}/s${eta}`,
      );
    });
    checkInBackground();
  });
  ctx.signal.addEventListener('abort', () => run.abort(), { once: true });
  const delivering = agent.run(run.signal);
  await Promise.race([done, delivering]);
  run.abort();
  await delivering;
  return Promise.all(ids.map((id) => agent.api.getQueueItem({ id })));
}

export const queueCommands: CommandSpec[] = [
  {
    path: ['queue', 'list'],
    summary: 'Queue items, newest first (says how many more match beyond --limit)',
    usage: '[--state S] [--target T] [--limit N]',
    options: { state: { type: 'string' }, target: { type: 'string' }, limit: { type: 'string' } },
    details: [
      '--limit N  items shown, 1–1000 (default 100)',
      '--json     { items, total, omitted }: total matching items, omitted = those beyond --limit',
    ],
    async run(ctx, args) {
      const state = stateOption(stringOption(args, 'state'));
      const target = stringOption(args, 'target');
      const agent = await ctx.agent();
      const items = await agent.api.listQueue({
        limit: integerOption(args, 'limit', 100)!,
        ...(state === undefined ? {} : { state }),
        ...(target === undefined ? {} : { target }),
      });
      // Counted as `queue stats` counts; read after the list, so an item added since is not "omitted".
      const total = Math.max(
        items.length,
        matchingCount(await agent.api.getQueueStats({}), state, target),
      );
      const omitted = total - items.length;
      const human =
        items.length === 0
          ? 'The queue is empty.'
          : [
              table(
                ['ID', 'TARGET', 'KIND', 'STATE', 'TRIES', 'WHAT', 'LAST ERROR'],
                items.map((i) => [
                  i.id,
                  i.target,
                  i.payload.kind,
                  i.state,
                  String(i.attempts),
                  describeItem(i),
                  i.lastError ?? '',
                ]),
              ),
              ...(omitted === 0
                ? []
                : [
                    `… ${omitted} more of ${total} not shown: narrow with --state/--target or raise --limit (up to 1000).`,
                  ]),
            ].join('\n');
      return { data: { items, total, omitted }, human };
    },
  },
  {
    path: ['queue', 'show'],
    summary: 'One queue item with its payload and history',
    usage: 'ID',
    async run(ctx, args) {
      const id = args.positionals[0];
      if (id === undefined) throw new UsageError('ID is required');
      const item = await (await ctx.agent()).api.getQueueItem({ id });
      const human = keyValues([
        ['id', item.id],
        ['target', item.target],
        ['kind', item.payload.kind],
        ['what', describeItem(item)],
        ['state', item.state],
        ['attempts', item.attempts],
        ['created', new Date(item.createdAt).toISOString()],
        [
          'next attempt',
          item.state === 'queued' ? new Date(item.nextAttemptAt).toISOString() : undefined,
        ],
        [
          'delivered',
          item.deliveredAt === undefined ? undefined : new Date(item.deliveredAt).toISOString(),
        ],
        ['bytes', `${item.bytesSent}/${item.bytesTotal}`],
        ['last error', item.lastError],
      ]);
      return { data: item, human };
    },
  },
  {
    path: ['queue', 'retry'],
    summary: 'Queue a failed or cancelled item again, or every failed item with --failed',
    usage: 'ID | --failed [--target T]',
    options: { failed: { type: 'boolean' }, target: { type: 'string' } },
    async run(ctx, args) {
      const agent = await ctx.agent();
      if (flag(args, 'failed')) {
        const target = stringOption(args, 'target');
        const result = await agent.api.retryFailed(target === undefined ? {} : { target });
        return { data: result, human: `${result.retried} failed item(s) queued again.` };
      }
      const id = args.positionals[0];
      if (id === undefined) throw new UsageError('give an item ID or --failed');
      const item = await agent.api.retryQueueItem({ id });
      return { data: item, human: `Item ${id} queued again.` };
    },
  },
  {
    path: ['queue', 'cancel'],
    summary: 'Cancel an item that is not being sent',
    usage: 'ID',
    async run(ctx, args) {
      const id = args.positionals[0];
      if (id === undefined) throw new UsageError('ID is required');
      const item = await (await ctx.agent()).api.cancelQueueItem({ id });
      return { data: item, human: `Item ${id} cancelled.` };
    },
  },
  {
    path: ['queue', 'pause'],
    summary: 'Stop delivering to a target (items keep queueing)',
    usage: 'TARGET',
    async run(ctx, args) {
      const target = args.positionals[0];
      if (target === undefined) throw new UsageError('TARGET is required');
      const result = await (await ctx.agent()).api.pauseTarget({ target });
      return { data: result, human: `Delivery to ${target} paused.` };
    },
  },
  {
    path: ['queue', 'resume'],
    summary: 'Resume delivering to a target',
    usage: 'TARGET',
    async run(ctx, args) {
      const target = args.positionals[0];
      if (target === undefined) throw new UsageError('TARGET is required');
      const result = await (await ctx.agent()).api.resumeTarget({ target });
      return { data: result, human: `Delivery to ${target} resumed.` };
    },
  },
  {
    path: ['queue', 'stats'],
    summary: 'Counts per state and target, pending bytes, drops, oldest age, caps',
    async run(ctx) {
      const stats = await (await ctx.agent()).api.getQueueStats({});
      const rows = stats.targets.map((t) => [
        t.target,
        String(t.counts.queued),
        String(t.counts.sending),
        String(t.counts.delivered),
        String(t.counts.failed),
        String(t.counts.cancelled),
        formatBytes(t.pendingBytes),
        t.oldestQueuedAgeSeconds === undefined ? '' : `${t.oldestQueuedAgeSeconds}s`,
        String(t.drops.reduce((s, d) => s + d.count, 0)),
        `${t.policy}${t.paused ? ' (paused)' : ''}`,
      ]);
      const human = [
        table(
          [
            'TARGET',
            'QUEUED',
            'SENDING',
            'DELIVERED',
            'FAILED',
            'CANCELLED',
            'PENDING',
            'OLDEST',
            'DROPS',
            'POLICY',
          ],
          rows,
        ),
        '',
        `Sending: ${stats.paused ? 'PAUSED' : 'on'}; delivering process: ${stats.deliveringPid ?? 'none (start `outpost run` or the desktop app)'}`,
        `Caps: max age ${stats.caps.maxAgeHours} h, max ${formatBytes(stats.caps.maxTotalBytes)} pending, keep ${formatBytes(stats.caps.minFreeBytes)} free; drops so far: ${stats.totals.drops}`,
      ].join('\n');
      return { data: stats, human };
    },
  },
  {
    path: ['send'],
    summary:
      'Queue files durably for one or more saved targets (prints the item ids; `outpost run` delivers)',
    usage: '--target NAME [--target NAME2] FILE... [--wait]',
    options: { target: { type: 'string', multiple: true }, wait: { type: 'boolean' } },
    details: [
      '--wait  deliver now from this process and wait until every item is delivered or failed (progress bar on a TTY)',
    ],
    async run(ctx, args) {
      const targets = targetsOf(args);
      if (args.positionals.length === 0) throw new UsageError('name at least one FILE');
      const agent = await ctx.agent();
      const items: QueueItemView[] = [];
      for (const path of args.positionals)
        items.push(...(await agent.api.enqueueFile({ targets, path })).items);
      if (!flag(args, 'wait')) {
        return {
          data: items,
          human: items.map((i) => `${i.id}  ${i.target}  ${describeItem(i)}`).join('\n'),
        };
      }
      const final = await waitForItems(
        ctx,
        items.map((i) => i.id),
      );
      const failed = final.filter((i) => i.state !== 'delivered');
      return {
        data: final,
        human: final
          .map(
            (i) =>
              `${i.id}  ${i.target}  ${describeItem(i)}  ${i.state}${i.lastError === undefined ? '' : `: ${i.lastError}`}`,
          )
          .join('\n'),
        exitCode: failed.length === 0 ? 0 : 1,
      };
    },
  },
  {
    path: ['check-result'],
    summary: 'Queue a check result durably for one or more targets, or deliver it now',
    usage:
      "--target NAME [--target …] --host H [--service S] --state 0..3 --output TEXT [--perfdata 'label=value;warn;crit']… [--now]",
    options: {
      target: { type: 'string', multiple: true },
      host: { type: 'string' },
      service: { type: 'string' },
      state: { type: 'string' },
      output: { type: 'string' },
      perfdata: { type: 'string', multiple: true },
      now: { type: 'boolean' },
    },
    details: [
      '--now  deliver immediately through each target (exit 0 only when every target acknowledged); without it the result is queued and `outpost run` delivers it',
    ],
    async run(ctx, args) {
      const targets = targetsOf(args);
      const stateText = requiredOption(args, 'state');
      if (!/^[0-3]$/.test(stateText))
        throw new UsageError(
          `--state must be 0 (OK), 1 (WARNING), 2 (CRITICAL) or 3 (UNKNOWN), got '${stateText}'`,
        );
      const service = stringOption(args, 'service');
      const result = await (
        await ctx.agent()
      ).api.enqueueCheckResult({
        targets,
        now: flag(args, 'now'),
        result: {
          host: requiredOption(args, 'host'),
          ...(service === undefined ? {} : { service }),
          state: Number(stateText),
          output: requiredOption(args, 'output'),
          performanceData: listOption(args, 'perfdata'),
          checkSource: 'outpost-cli',
        },
      });
      const human =
        result.delivered.length > 0
          ? `Delivered to ${result.delivered.join(', ')}.`
          : result.items.map((i) => `${i.id}  ${i.target}  queued`).join('\n');
      return { data: result, human };
    },
  },
];
