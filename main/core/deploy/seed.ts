import { AgentError } from '../contract/errors.ts';
import { normalizeFingerprint } from '../identity/x509.ts';
import { assertTargetName } from '../targets/registry.ts';

/**
 * The silent-deployment seed (build/README.md "Installing and deploying"):
 * a `KEY=VALUE` file an installer writes from its command line (NSIS `/KEY=…`,
 * MSI properties, a file dropped by an MDM or a shell script), applied once on
 * the agent's first start. The keys are the installer parameter names, so one
 * table documents the NSIS switches, the MSI properties and the file.
 *
 * Format: UTF-8 (or UTF-16 with BOM, as Windows' INI API may write it), one
 * `KEY=VALUE` per line, `#`/`;` comments, an optional `[seed]` section header
 * (what NSIS WriteINIStr and MSI IniFile produce), values optionally quoted.
 */

export const SEED_PARAMETERS = {
  AGENT_NAME: 'endpoint name / CN of this agent (default: the machine FQDN)',
  AUTO_UPDATE: '0 turns automatic updates off (settings agent.autoUpdate), 1 leaves them on',
  ICINGA_MASTER: 'Icinga 2 master HOST[:PORT=5665]',
  ICINGA_TICKET: 'ticket from `icinga2 pki ticket --cn <CN>` (secret)',
  ICINGA_FINGERPRINT:
    "SHA-256 fingerprint of the master's certificate, pinned instead of trusted on first use",
  ICINGA_CN: 'CN to request from the master (default AGENT_NAME)',
  ICINGA_TARGET: 'target name (default icinga)',
  TENTACLE_SERVER: 'Pandora FMS Tentacle server HOST[:PORT=41121]',
  TENTACLE_PASSWORD: 'Tentacle password (secret; requires TENTACLE_TLS=1)',
  TENTACLE_TLS: '1 for TLS (server certificate verified)',
  TENTACLE_CA: 'CA certificate file (PEM) that signs the Tentacle server certificate',
  TENTACLE_TARGET: 'target name (default pandora)',
  GORGONE_SERVER: 'Centreon Gorgone server HOST[:PORT=5556]',
  GORGONE_NODE_ID: 'poller/node id the central knows this agent by',
  GORGONE_PUBKEY: 'server public key file (PEM): its JWK thumbprint is pinned',
  GORGONE_THUMBPRINT: 'server key JWK thumbprint (RFC 7638, base64url) to pin',
  GORGONE_TARGET: 'target name (default centreon)',
  ONSPHERE_DISPATCHER: 'OnSphere configuration dispatcher HOST[:PORT=10000]',
  ONSPHERE_CA: 'ca.crt file',
  ONSPHERE_CERT: 'module.crt (or remote-connector.crt) file',
  ONSPHERE_KEY: 'module.key (or remote-connector.key) file (copied into the identity store, 0600)',
  ONSPHERE_TARGET: 'target name (default onsphere)',
} as const;

export type SeedParameter = keyof typeof SEED_PARAMETERS;

/** Parameters whose value must never stay on disk once applied. */
export const SECRET_PARAMETERS: ReadonlySet<SeedParameter> = new Set([
  'ICINGA_TICKET',
  'TENTACLE_PASSWORD',
]);

export interface HostPort {
  host: string;
  port: number;
}

export interface IcingaSeed {
  target: string;
  master: HostPort;
  ticket?: string;
  fingerprint?: string;
  cn?: string;
}

export interface TentacleSeed {
  target: string;
  server: HostPort;
  tls: boolean;
  password?: string;
  caFile?: string;
}

export interface GorgoneSeed {
  target: string;
  server: HostPort;
  nodeId: number;
  pubkeyFile?: string;
  thumbprint?: string;
}

export interface OnsphereSeed {
  target: string;
  dispatcher: HostPort;
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface Seed {
  agent: { name?: string; autoUpdate?: boolean };
  icinga?: IcingaSeed;
  tentacle?: TentacleSeed;
  gorgone?: GorgoneSeed;
  onsphere?: OnsphereSeed;
}

function invalid(field: string, message: string): AgentError {
  return new AgentError('invalid-request', `${field}: ${message}`, { field });
}

/** Reads the raw `KEY=VALUE` map; rejects unknown keys, duplicates and junk lines. */
export function parseSeedText(input: string | Uint8Array): Map<SeedParameter, string> {
  const text = typeof input === 'string' ? input.replace(/^\uFEFF/, '') : decodeSeedBytes(input);
  const values = new Map<SeedParameter, string>();
  const lines = text.split(/\r?\n/);
  for (const [index, rawLine] of lines.entries()) {
    const line = rawLine.trim();
    const lineNo = index + 1;
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      if (line.toLowerCase() !== '[seed]') {
        throw invalid(`line ${lineNo}`, `unexpected section '${line}': the only section is [seed]`);
      }
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw invalid(`line ${lineNo}`, `expected KEY=VALUE, got '${line.slice(0, 40)}'`);
    const key = line.slice(0, eq).trim().toUpperCase();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    if (!isSeedParameter(key)) {
      throw invalid(
        key,
        `unknown parameter (line ${lineNo}); known parameters are ${Object.keys(SEED_PARAMETERS).join(', ')}`,
      );
    }
    if (values.has(key)) throw invalid(key, `given twice (line ${lineNo})`);
    // An installer writes every parameter it knows, empty when not given on its command line.
    if (value !== '') values.set(key, value);
  }
  return values;
}

function decodeSeedBytes(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
}

export function isSeedParameter(key: string): key is SeedParameter {
  return Object.hasOwn(SEED_PARAMETERS, key);
}

/** Parses and validates a whole seed file. Every error names the parameter at fault. */
export function parseSeed(input: string | Uint8Array): Seed {
  let raw: Map<SeedParameter, string>;
  try {
    raw = parseSeedText(input);
  } catch (error) {
    if (error instanceof TypeError)
      throw invalid('seed', 'the file is neither UTF-8 nor UTF-16 with a BOM');
    throw error;
  }
  return validateSeed(raw);
}

export function validateSeed(raw: ReadonlyMap<SeedParameter, string>): Seed {
  const get = (key: SeedParameter): string | undefined => raw.get(key);
  const requireWith = (group: string, lead: SeedParameter, keys: SeedParameter[]): boolean => {
    const present = keys.filter((k) => raw.has(k));
    if (!raw.has(lead) && present.length > 0) {
      throw invalid(
        present[0]!,
        `is only meaningful with ${lead} (the ${group} server): add ${lead}=HOST[:PORT]`,
      );
    }
    return raw.has(lead);
  };

  const seed: Seed = { agent: {} };
  const agentName = get('AGENT_NAME');
  if (agentName !== undefined) seed.agent.name = endpointName(agentName, 'AGENT_NAME');
  const autoUpdate = get('AUTO_UPDATE');
  if (autoUpdate !== undefined) seed.agent.autoUpdate = boolean(autoUpdate, 'AUTO_UPDATE');

  if (
    requireWith('Icinga', 'ICINGA_MASTER', [
      'ICINGA_TICKET',
      'ICINGA_FINGERPRINT',
      'ICINGA_CN',
      'ICINGA_TARGET',
    ])
  ) {
    const icinga: IcingaSeed = {
      target: targetName(get('ICINGA_TARGET') ?? 'icinga', 'ICINGA_TARGET'),
      master: hostPort(get('ICINGA_MASTER')!, 5665, 'ICINGA_MASTER'),
    };
    const ticket = get('ICINGA_TICKET');
    if (ticket !== undefined) {
      // icinga2.md §3: the ticket is hex(PBKDF2-HMAC-SHA1(cn, salt, 50000, 20)); the master compares it lowercased.
      const normalized = ticket.trim().toLowerCase();
      if (!/^[0-9a-f]{40}$/.test(normalized)) {
        throw invalid(
          'ICINGA_TICKET',
          'must be the 40 hex digits `icinga2 pki ticket --cn <CN>` prints',
        );
      }
      icinga.ticket = normalized;
    }
    const fingerprint = get('ICINGA_FINGERPRINT');
    if (fingerprint !== undefined)
      icinga.fingerprint = named('ICINGA_FINGERPRINT', () =>
        normalizeFingerprint(fingerprint, 'ICINGA_FINGERPRINT'),
      );
    const cn = get('ICINGA_CN');
    if (cn !== undefined) icinga.cn = endpointName(cn, 'ICINGA_CN');
    seed.icinga = icinga;
  }

  if (
    requireWith('Tentacle', 'TENTACLE_SERVER', [
      'TENTACLE_PASSWORD',
      'TENTACLE_TLS',
      'TENTACLE_CA',
      'TENTACLE_TARGET',
    ])
  ) {
    const tentacle: TentacleSeed = {
      target: targetName(get('TENTACLE_TARGET') ?? 'pandora', 'TENTACLE_TARGET'),
      server: hostPort(get('TENTACLE_SERVER')!, 41121, 'TENTACLE_SERVER'),
      tls: boolean(get('TENTACLE_TLS') ?? '0', 'TENTACLE_TLS'),
    };
    const caFile = get('TENTACLE_CA');
    if (caFile !== undefined) {
      if (!tentacle.tls)
        throw invalid('TENTACLE_CA', 'a CA file is only used with TLS: add TENTACLE_TLS=1');
      tentacle.caFile = filePath(caFile, 'TENTACLE_CA');
    }
    const password = get('TENTACLE_PASSWORD');
    if (password !== undefined) {
      // tentacle.md §8: the password hash travels in clear without TLS, so a silent install never does that.
      if (!tentacle.tls) {
        throw invalid('TENTACLE_PASSWORD', 'a password is only sent over TLS: add TENTACLE_TLS=1');
      }
      tentacle.password = password;
    }
    seed.tentacle = tentacle;
  }

  if (
    requireWith('Gorgone', 'GORGONE_SERVER', [
      'GORGONE_NODE_ID',
      'GORGONE_PUBKEY',
      'GORGONE_THUMBPRINT',
      'GORGONE_TARGET',
    ])
  ) {
    const nodeId = get('GORGONE_NODE_ID');
    if (nodeId === undefined)
      throw invalid(
        'GORGONE_NODE_ID',
        'is required with GORGONE_SERVER: the node id the central gave this poller',
      );
    if (!/^[1-9]\d{0,8}$/.test(nodeId))
      throw invalid('GORGONE_NODE_ID', `must be a positive whole number, got '${nodeId}'`);
    const gorgone: GorgoneSeed = {
      target: targetName(get('GORGONE_TARGET') ?? 'centreon', 'GORGONE_TARGET'),
      server: hostPort(get('GORGONE_SERVER')!, 5556, 'GORGONE_SERVER'),
      nodeId: Number(nodeId),
    };
    const pubkey = get('GORGONE_PUBKEY');
    const thumbprint = get('GORGONE_THUMBPRINT');
    if (pubkey === undefined && thumbprint === undefined) {
      throw invalid(
        'GORGONE_PUBKEY',
        "a silent install pins the server key: give GORGONE_PUBKEY (the server's public key file) or GORGONE_THUMBPRINT",
      );
    }
    if (pubkey !== undefined && thumbprint !== undefined) {
      throw invalid(
        'GORGONE_THUMBPRINT',
        'give either GORGONE_PUBKEY or GORGONE_THUMBPRINT, not both',
      );
    }
    if (pubkey !== undefined) gorgone.pubkeyFile = filePath(pubkey, 'GORGONE_PUBKEY');
    if (thumbprint !== undefined) {
      // RFC 7638 thumbprint of a SHA-256 digest: 32 bytes → 43 base64url characters.
      if (!/^[A-Za-z0-9_-]{43}$/.test(thumbprint)) {
        throw invalid(
          'GORGONE_THUMBPRINT',
          'must be the 43-character base64url JWK thumbprint `outpost gorgone thumbprint`-style tools print',
        );
      }
      gorgone.thumbprint = thumbprint;
    }
    seed.gorgone = gorgone;
  }

  if (
    requireWith('OnSphere', 'ONSPHERE_DISPATCHER', [
      'ONSPHERE_CA',
      'ONSPHERE_CERT',
      'ONSPHERE_KEY',
      'ONSPHERE_TARGET',
    ])
  ) {
    for (const key of ['ONSPHERE_CA', 'ONSPHERE_CERT', 'ONSPHERE_KEY'] as const) {
      if (!raw.has(key))
        throw invalid(
          key,
          'is required with ONSPHERE_DISPATCHER: OnSphere pairs with ca.crt, module.crt and module.key',
        );
    }
    seed.onsphere = {
      target: targetName(get('ONSPHERE_TARGET') ?? 'onsphere', 'ONSPHERE_TARGET'),
      dispatcher: hostPort(get('ONSPHERE_DISPATCHER')!, 10000, 'ONSPHERE_DISPATCHER'),
      caFile: filePath(get('ONSPHERE_CA')!, 'ONSPHERE_CA'),
      certFile: filePath(get('ONSPHERE_CERT')!, 'ONSPHERE_CERT'),
      keyFile: filePath(get('ONSPHERE_KEY')!, 'ONSPHERE_KEY'),
    };
  }

  const targets = [seed.icinga, seed.tentacle, seed.gorgone, seed.onsphere].filter(
    (t) => t !== undefined,
  );
  const names = targets.map((t) => t.target);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined)
    throw invalid(
      'seed',
      `two targets are named '${duplicate}': set the *_TARGET parameters apart`,
    );
  if (
    targets.length === 0 &&
    seed.agent.name === undefined &&
    seed.agent.autoUpdate === undefined
  ) {
    throw invalid(
      'seed',
      'the file sets nothing: give at least one server (ICINGA_MASTER, TENTACLE_SERVER, GORGONE_SERVER, ONSPHERE_DISPATCHER)',
    );
  }
  return seed;
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** `host`, `host:port`, `[v6]` or `[v6]:port`. */
export function hostPort(value: string, defaultPort: number, field: string): HostPort {
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::(.*))?$/.exec(value);
  if (bracketed !== null) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if (value.split(':').length > 2) {
    throw invalid(
      field,
      `'${value}': write an IPv6 address in brackets, e.g. [2001:db8::1]:${defaultPort}`,
    );
  } else {
    [host, portText] = value.split(':') as [string, string | undefined];
  }
  if (bracketed === null && !HOSTNAME.test(host)) {
    throw invalid(field, `'${value}' is not HOST[:PORT] with a valid host name or IPv4 address`);
  }
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw invalid(field, `port '${portText}' must be a number from 1 to 65535`);
    }
    port = Number(portText);
  }
  return { host, port };
}

function boolean(value: string, field: string): boolean {
  const v = value.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw invalid(field, `must be 1 or 0, got '${value}'`);
}

function targetName(value: string, field: string): string {
  named(field, () => assertTargetName(value, field));
  return value;
}

/** Runs a foundation validator and puts the parameter name first in its message. */
function named<T>(field: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof AgentError && !error.message.startsWith(`${field}:`))
      throw invalid(field, error.message);
    throw error;
  }
}

/** Icinga endpoint names / CNs: what `icinga2 node setup --cn` accepts in practice. */
function endpointName(value: string, field: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(value)) {
    throw invalid(
      field,
      `'${value}' must be a host-name-like name (letters, digits, '.', '_', '-')`,
    );
  }
  return value;
}

function filePath(value: string, field: string): string {
  // Relative paths would depend on the installer's working directory, which nobody controls.
  if (!/^(?:\/|[A-Za-z]:[\\/]|\\\\)/.test(value)) {
    throw invalid(field, `'${value}' must be an absolute path to the file`);
  }
  return value;
}
