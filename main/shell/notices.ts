import type { AgentEvents, IdentitySummary } from '../core/contract/index.ts';
import { EXPIRY_WARNING_DAYS } from '../core/identity/x509.ts';

/** What the tray shows as a native notification. */
export interface DesktopNotice {
  title: string;
  body: string;
  /** Same key, same notice: shown once (per day for expiry warnings). */
  key: string;
}

/**
 * The notifications of issue #8, from the core's events:
 * - `notice` (a server key changed, a certificate was renewed, …: the core
 *   says it in words already);
 * - an item that failed permanently (`queue.item` in state failed);
 * - a pairing step waiting for the admin, with the command to run;
 * - a certificate that expires within 30 days (see `expiryNotices`).
 */
export function noticeFromEvent<E extends keyof AgentEvents>(
  event: E,
  payload: AgentEvents[E],
): DesktopNotice | undefined {
  if (event === 'notice') {
    const n = payload as AgentEvents['notice'];
    return { title: n.title, body: n.body, key: `notice:${n.target ?? ''}:${n.title}:${n.body}` };
  }
  if (event === 'queue.item') {
    const item = payload as AgentEvents['queue.item'];
    if (item.state !== 'failed') return undefined;
    return {
      title: `Delivery to ${item.target} failed`,
      body: `${item.lastError ?? 'the server refused it'}. The item is kept in the queue: retry it from Outpost.`,
      key: `failed:${item.id}:${item.attempts}`,
    };
  }
  if (event === 'pairing.step') {
    const s = payload as AgentEvents['pairing.step'];
    if (s.status !== 'waiting') return undefined;
    return {
      title: `Pairing ${s.target} waits for the server's admin`,
      body: s.detail ?? s.step,
      key: `pairing:${s.target}:${s.step}:${s.detail ?? ''}`,
    };
  }
  return undefined;
}

export function expiryNotices(identity: IdentitySummary, today: string): DesktopNotice[] {
  return identity.certificates
    .filter((c) => c.role === 'client' && c.summary.daysLeft < EXPIRY_WARNING_DAYS)
    .map((c) => ({
      title:
        c.summary.daysLeft < 0
          ? `The certificate of ${c.target} has expired`
          : `The certificate of ${c.target} expires in ${c.summary.daysLeft} days`,
      body: `${c.summary.subjectCN ?? c.target}, valid until ${c.summary.notAfter}: renew or pair ${c.target} again.`,
      key: `expiry:${c.target}:${c.summary.fingerprintSha256}:${today}`,
    }));
}

/** Remembers what was shown so a repeated event does not notify twice. */
export class NoticeGate {
  readonly #seen = new Set<string>();

  admit(notice: DesktopNotice | undefined): DesktopNotice | undefined {
    if (notice === undefined || this.#seen.has(notice.key)) return undefined;
    this.#seen.add(notice.key);
    if (this.#seen.size > 500) this.#seen.delete(this.#seen.values().next().value!);
    return notice;
  }
}
