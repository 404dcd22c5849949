/**
 * Whether a string is an IPv4 or IPv6 address literal (an IPv6 zone like
 * `%eth0` allowed), as node:net's isIP says — without node:net, because the
 * contract is bundled into the sandboxed preload, which can require only
 * `electron`.
 */
const V4_PART = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]\\d|\\d)';
const V4 = new RegExp(`^${V4_PART}(?:\\.${V4_PART}){3}$`);
const ZONE = /^[0-9a-zA-Z.:-]+$/;

export function isIpAddress(value: string): boolean {
  if (V4.test(value)) return true;
  if (!value.includes(':')) return false;
  const [address = '', zone, ...rest] = value.split('%');
  if (rest.length > 0 || (zone !== undefined && !ZONE.test(zone))) return false;
  if (!/^[\da-fA-F:.]+$/.test(address)) return false;
  try {
    // The WHATWG URL parser implements the IPv6 address grammar (incl. "::" and embedded IPv4).
    new URL(`http://[${address}]/`);
    return true;
  } catch {
    return false;
  }
}
