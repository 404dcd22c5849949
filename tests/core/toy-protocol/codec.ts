/** One JSON object per line, both ways. */
export type ToyMessage =
  | { hello: 'toy'; key: string }
  | { id: string; result: { host: string; service: string; state: number; output: string } }
  | { ack: string };

export function encode(message: ToyMessage): string {
  return `${JSON.stringify(message)}\n`;
}

export function decode(line: string): ToyMessage {
  const value: unknown = JSON.parse(line);
  if (typeof value !== 'object' || value === null) throw new Error(`not a toy message: ${line}`);
  return value as ToyMessage;
}
