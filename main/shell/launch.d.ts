/** Types of launch.js (plain JS so `npm start` runs on any Node). */
export function electronBinary(electronDir?: string, env?: NodeJS.ProcessEnv): string | undefined;
export const MISSING_RUNTIME_MESSAGE: string;
export function electronEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
