/** Log lines as the agent streams them to every UI (the `log` event, getLogs). */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogLine {
  time: string;
  level: LogLevel;
  scope: string;
  message: string;
  fields?: Record<string, unknown>;
}
