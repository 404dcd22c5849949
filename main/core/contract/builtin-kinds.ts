/** The built-in checks (builtin.ts), listed apart so definitions need not load system libraries. */
export const BUILTIN_KINDS = [
  'disk',
  'memory',
  'load',
  'cpu',
  'uptime',
  'process',
  'tcp',
  'file-age',
] as const;
export type BuiltinKind = (typeof BUILTIN_KINDS)[number];
