import { isIpAddress } from '../../contract/ip-address.ts';
import type { CheckDefinition } from '../../contract/check-definitions.ts';
import type { ImportIssue, ImportReport } from '../../contract/import-report.ts';

/**
 * Reader of a Pandora FMS Unix/Windows agent `pandora_agent.conf`: `key value`
 * lines, `#` comments, and `module_begin … module_end` blocks of `module_*`
 * keys. Pure: text in, values and problems (with line numbers) out.
 */
export interface ConfValue {
  value: string;
  line: number;
}

export interface PandoraModuleBlock {
  line: number;
  endLine: number;
  keys: Map<string, ConfValue>;
}

export interface PandoraConf {
  global: Map<string, ConfValue>;
  modules: PandoraModuleBlock[];
  problems: ImportIssue[];
  /**
   * The problems that say the text is not a well-formed conf (a line that is
   * not `key value`, an unbalanced or polluted module block), as opposed to
   * values left out: remote configuration refuses a download that has any.
   */
  malformed: ImportIssue[];
}

export function parsePandoraConf(text: string, file: string): PandoraConf {
  const global = new Map<string, ConfValue>();
  const modules: PandoraModuleBlock[] = [];
  const problems: ImportIssue[] = [];
  const malformed: ImportIssue[] = [];
  const broken = (issue: ImportIssue): void => {
    problems.push(issue);
    malformed.push(issue);
  };
  let current: PandoraModuleBlock | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const match = /^(\S+)(?:\s+(.*))?$/.exec(trimmed);
    const key = match?.[1] ?? trimmed;
    const value = (match?.[2] ?? '').trim();
    if (key === 'module_begin') {
      if (current !== undefined) {
        broken({
          file,
          line: current.line,
          text: 'module_begin',
          reason: 'module_begin without module_end before the next module_begin: block dropped',
        });
      }
      current = { line, endLine: line, keys: new Map() };
      return;
    }
    if (key === 'module_end') {
      if (current === undefined) {
        broken({ file, line, text: raw, reason: 'module_end without module_begin' });
        return;
      }
      current.endLine = line;
      modules.push(current);
      current = undefined;
      return;
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      broken({ file, line, text: raw, reason: 'not a `key value` line' });
      return;
    }
    if (current !== undefined) {
      if (!key.startsWith('module_')) {
        broken({
          file,
          line,
          text: raw,
          reason: `'${key}' inside a module block (only module_* keys belong there)`,
        });
        return;
      }
      if (current.keys.has(key) && key !== 'module_exec') {
        problems.push({
          file,
          line,
          text: raw,
          reason: `${key} repeated in the module block: the later value wins`,
        });
      }
      current.keys.set(key, { value, line });
      return;
    }
    if (value === '') {
      problems.push({ file, line, text: raw, reason: `'${key}' has no value` });
      return;
    }
    global.set(key, { value, line });
  });
  if (current !== undefined) {
    broken({
      file,
      line: current.line,
      text: 'module_begin',
      reason: 'module_begin without module_end at the end of the file: block dropped',
    });
  }
  return { global, modules, problems, malformed };
}

/** Tentacle client flags found in `server_opts` (tentacle.md §13). */
export interface TentacleClientFlags {
  password?: string;
  tls: boolean;
  certPath?: string;
  keyPath?: string;
  caPath?: string;
  zip: boolean;
  proxy?: string;
  /** -b: local address to bind. */
  bindAddress?: string;
  /** -t and -r (§12): per-wait seconds and retries of the wait. */
  waitSeconds?: number;
  retries?: number;
  /** Flags Outpost does not carry over, as written. */
  unsupported: string[];
}

const FLAGS_WITH_VALUE = new Set(['-a', '-b', '-e', '-k', '-f', '-x', '-p', '-y', '-t', '-r']);

export function parseServerOpts(opts: string): TentacleClientFlags {
  const words = opts.split(/\s+/).filter((w) => w !== '');
  const flags: TentacleClientFlags = { tls: false, zip: false, unsupported: [] };
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const value = FLAGS_WITH_VALUE.has(word) ? words[++i] : undefined;
    if (FLAGS_WITH_VALUE.has(word) && value === undefined) {
      flags.unsupported.push(`${word} (no value)`);
      continue;
    }
    switch (word) {
      case '-c':
        flags.tls = true;
        break;
      case '-e':
        flags.tls = true;
        flags.certPath = value!;
        break;
      case '-k':
        flags.keyPath = value!;
        break;
      case '-f':
        flags.caPath = value!;
        break;
      case '-x':
        flags.password = value!;
        break;
      case '-z':
        flags.zip = true;
        break;
      case '-y':
        flags.proxy = value!;
        break;
      case '-b':
        if (!isIpAddress(value!)) flags.unsupported.push(`-b ${value!} (not an IP address)`);
        else flags.bindAddress = value!;
        break;
      case '-t':
      case '-r': {
        const min = word === '-t' ? 1 : 0;
        if (!/^\d+$/.test(value!) || Number(value) < min)
          flags.unsupported.push(`${word} ${value!} (not a whole number from ${min})`);
        else if (word === '-t') flags.waitSeconds = Number(value);
        else flags.retries = Number(value);
        break;
      }
      case '-v':
      case '-q':
        break;
      default:
        flags.unsupported.push(
          value === undefined ? word : `${word} ${word === '-x' ? '***' : value}`,
        );
    }
  }
  return flags;
}

/**
 * What one `pandora_agent.conf` means for Outpost, computed without touching
 * anything: the import creates it, remote configuration applies it live
 * (protocols/pandora/apply-conf.ts), so both read a conf the same way.
 */
export interface PandoraConfMapping {
  conf: PandoraConf;
  /** The Tentacle target's config (contract/tentacle.ts connectionSchema). */
  config: Record<string, unknown>;
  /** SecretStore entries for the target (names from tentacleSecretName). */
  secrets: Array<[string, string]>;
  /** agent_name, when the conf sets one. */
  agentName: string | undefined;
  agentInterval: number;
  /** `remote_config 1` (pandora-remote-config.md §4: exactly 1). */
  remoteConfig: boolean;
  /** `standby 1`: disabled in the Pandora console (§8.2): checks kept, not run; remote configuration still checked (§15). */
  standby: boolean;
  checks: CheckDefinition[];
  /** Lines not carried over and notes, line-numbered (the import's report). */
  report: ImportReport;
}
