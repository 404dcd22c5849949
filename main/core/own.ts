/**
 * Lookups by a key that comes from outside (a peer, a file, the CLI, IPC).
 * `record[key]` also finds what every plain object inherits from
 * Object.prototype (`toString`, `constructor`, `__proto__`): a master asking
 * for the command 'toString' got a function instead of "does not exist".
 * Only the object's own properties count here.
 */
export function ownValue<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
