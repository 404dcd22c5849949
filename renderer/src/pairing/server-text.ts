/**
 * The exact text an admin needs on the server side of each pairing (issue #8
 * "what to do on the server" panel). Pure functions of the wizard's inputs,
 * so they are unit-tested and the same in every language (they are commands
 * and config, not prose).
 */

/** gorgone.md §6: `gorgonecore.authorized_clients` entries are `{key: <thumbprint>}`. */
export function gorgoneAuthorizedClient(thumbprint: string): string {
  return [
    'gorgone:',
    '  gorgonecore:',
    '    authorized_clients:',
    `      - key: ${thumbprint}`,
  ].join('\n');
}

/** A double-quoted Icinga DSL string (icinga2.md §3.7 zones.conf). */
function dsl(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Single-quoted for a POSIX shell, so a CN with spaces or quotes survives copy and paste. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9._@:/-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** icinga2.md §3.3: the ticket for auto-signing, printed on the master. */
export function icingaTicketCommand(cn: string): string {
  return `icinga2 pki ticket --cn ${shellQuote(cn)}`;
}

/** icinga2.md §3.5: on-demand signing; the fingerprint `ca list` shows is lower-case hex without colons. */
export function icingaSignCommand(fingerprint: string): string {
  return `icinga2 ca sign ${fingerprint.replace(/:/g, '').toLowerCase()}`;
}

/**
 * The master's zones.conf objects for this agent (icinga2.md §3.7, mirrored
 * from what `node setup` writes on an agent): the agent connects to the
 * master, so the agent Endpoint has no host.
 */
export function icingaZonesSnippet(agentCn: string, parentZone: string): string {
  return [
    `object Endpoint ${dsl(agentCn)} {`,
    '}',
    '',
    `object Zone ${dsl(agentCn)} {`,
    `  endpoints = [ ${dsl(agentCn)} ]`,
    `  parent = ${dsl(parentZone)}`,
    '}',
  ].join('\n');
}

export interface TentacleSecurity {
  tls: boolean;
  /** The server checks our client certificate (`-f ca`). */
  clientCertificate: boolean;
  password: boolean;
  port: number;
}

/** tentacle.md §14: the `tentacle_server` flags that match what the agent will speak. */
export function tentacleServerCommand(security: TentacleSecurity): string {
  const args = ['tentacle_server', '-s /var/spool/pandora/data_in', `-p ${security.port}`];
  if (security.tls) args.push('-e /etc/tentacle/server.crt', '-k /etc/tentacle/server.key');
  if (security.tls && security.clientCertificate) args.push('-f /etc/tentacle/ca.crt');
  if (security.password) args.push("-x '<password>'");
  return args.join(' ');
}

/** onsphere.md §2.1: the three PEM files exported from the OnSphere stack. */
export const ONSPHERE_FILES = ['ca.crt', 'module.crt', 'module.key'] as const;
