import log from 'electron-log/main';
import { join } from 'node:path';
import { redact } from '../core/log.ts';

/**
 * The shell's own log (issue #8 "electron-log rotating files"): main.log next
 * to the core's outpost.log, rotated at 5 MiB. Every message goes through the
 * core's redaction, so a secret handed to it by mistake never reaches the file.
 */
export function setUpShellLog(logsDir: string): typeof log {
  log.transports.file.resolvePathFn = () => join(logsDir, 'main.log');
  log.transports.file.maxSize = 5 * 1024 * 1024;
  log.transports.file.level = 'info';
  log.transports.console.level = process.env.OUTPOST_LOG_LEVEL === 'debug' ? 'debug' : 'warn';
  log.hooks.push((message) => ({ ...message, data: message.data.map((d: unknown) => redact(d)) }));
  log.errorHandler.startCatching({ showDialog: false });
  return log;
}
