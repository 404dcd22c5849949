import { describe, expect, it } from 'vitest';
import { isOwnRendererUrl, isTrustedSender } from '../../main/shell/ipc-guard.ts';

const RENDERER = 'file:///opt/Outpost/resources/app.asar/out/renderer/index.html';

describe('IPC sender check', () => {
  it('accepts the main frame of our window showing our index.html, whatever the route', () => {
    expect(
      isTrustedSender(
        { frameUrl: `${RENDERER}#/identity`, isMainFrameOfOurWindow: true },
        RENDERER,
      ),
    ).toBe(true);
  });

  it('refuses a frame that is not the main frame of our window', () => {
    expect(isTrustedSender({ frameUrl: RENDERER, isMainFrameOfOurWindow: false }, RENDERER)).toBe(
      false,
    );
  });

  it('refuses a frame that is gone', () => {
    expect(isTrustedSender({ frameUrl: undefined, isMainFrameOfOurWindow: true }, RENDERER)).toBe(
      false,
    );
  });

  it('refuses another file, another scheme, a remote page and garbage', () => {
    expect(isOwnRendererUrl('file:///tmp/evil/index.html', RENDERER)).toBe(false);
    expect(
      isOwnRendererUrl(
        'file://remote-host/opt/Outpost/resources/app.asar/out/renderer/index.html',
        RENDERER,
      ),
    ).toBe(false);
    expect(isOwnRendererUrl('https://example.com/out/renderer/index.html', RENDERER)).toBe(false);
    expect(isOwnRendererUrl('not a url', RENDERER)).toBe(false);
    expect(isOwnRendererUrl('about:blank', RENDERER)).toBe(false);
  });

  it('with a dev server, accepts its origin only', () => {
    const dev = 'http://localhost:5173/';
    expect(isOwnRendererUrl('http://localhost:5173/#/queue', dev)).toBe(true);
    expect(isOwnRendererUrl('http://localhost:5174/', dev)).toBe(false);
    expect(isOwnRendererUrl('http://127.0.0.1:5173/', dev)).toBe(false);
  });
});
