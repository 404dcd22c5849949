import { request } from 'node:http';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Opens the one-time URL `outpost ui` prints, as a browser would, and returns
 * the session cookie (`name=value`) it set.
 */
export async function signIn(url: string): Promise<string> {
  const { port, pathname, search } = new URL(url);
  const answer = await get(Number(port), `${pathname}${search}`, { Host: `127.0.0.1:${port}` });
  const setCookie = answer.headers['set-cookie']?.[0];
  if (answer.status !== 200 || setCookie === undefined) {
    throw new Error(`sign-in with ${url} answered ${answer.status}: ${answer.body}`);
  }
  return setCookie.split(';')[0]!;
}
