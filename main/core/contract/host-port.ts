import { AgentError } from './errors.ts';
import { isIpAddress } from './ip-address.ts';

/** A server address as every protocol's configuration keeps it: an IPv6 host without brackets. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Host names as resolvers take them: dot-separated labels of letters, digits,
 * '-' and '_' (RFC 1123 forbids '_', but Windows/AD hosts carry it and DNS
 * serves it), at most 63 characters each and 253 in all, a trailing dot allowed.
 */
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;
const BRACKETED = /^\[([^\]]*)\](?::(.*))?$/;

function invalid(field: string, message: string): AgentError {
  return new AgentError('invalid-request', `${field}: ${message}`, { field });
}

/**
 * `HOST`, `HOST:PORT`, `[IPv6]` or `[IPv6]:PORT` (a server given on a command
 * line, in an installer seed, in a form) → host and port, `defaultPort` when
 * none is given: the one parser of server addresses, with the protocol's
 * default port from ports.ts. Errors name `field` and say what is right.
 */
export function parseHostPort(value: string, defaultPort: number, field: string): HostPort {
  const text = value.trim();
  let host: string;
  let portText: string | undefined;
  const bracketed = BRACKETED.exec(text);
  if (bracketed !== null) {
    host = bracketed[1]!;
    portText = bracketed[2];
    if (!host.includes(':') || !isIpAddress(host))
      throw invalid(field, `'${value}': [${host}] is not an IPv6 address`);
  } else {
    const parts = text.split(':');
    if (parts.length > 2) {
      throw invalid(
        field,
        `'${value}' is not HOST[:PORT]: write an IPv6 address in brackets, e.g. [2001:db8::1]:${defaultPort}`,
      );
    }
    [host = '', portText] = parts;
    // Digits and dots only read as an IPv4 address to a resolver: '10.0.0.300' is a typo, not a name.
    if (!HOST_NAME.test(host) || (/^[\d.]+$/.test(host) && !isIpAddress(host.replace(/\.$/, ''))))
      throw invalid(
        field,
        `'${value}' is not HOST[:PORT] with a valid host name or IPv4 address (default port ${defaultPort})`,
      );
  }
  if (portText === undefined) return { host, port: defaultPort };
  return { host, port: parsePort(portText, field) };
}

/** A TCP port given as text: 1–65535, digits only. */
export function parsePort(text: string, field: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : 0;
  if (port < 1 || port > 65535)
    throw invalid(field, `port '${text}' must be a number from 1 to 65535`);
  return port;
}

/** The inverse of parseHostPort: an IPv6 host goes in brackets (once: a form may have kept them). */
export function formatHostPort(address: HostPort): string {
  const host =
    address.host.includes(':') && !address.host.startsWith('[')
      ? `[${address.host}]`
      : address.host;
  return `${host}:${address.port}`;
}
