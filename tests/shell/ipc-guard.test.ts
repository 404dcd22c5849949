import { describe, expect, it } from 'vitest';
import { isTrustedSender } from '../../main/shell/ipc-guard.ts';
import { APP_RENDERER_URL } from '../../main/shell/renderer-url.ts';

const RENDERER = APP_RENDERER_URL;

describe('IPC sender check', () => {
  it('accepts the main frame of our window showing app://outpost/index.html, whatever the route', () => {
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

  it('refuses the same path on another scheme or host (issue #14 item 10)', () => {
    for (const frameUrl of [
      'https://evil.example/index.html',
      'file:///index.html',
      'app://evil/index.html',
      'app://outpost/other.html',
      'app://outpost.evil/index.html',
    ]) {
      expect(isTrustedSender({ frameUrl, isMainFrameOfOurWindow: true }, RENDERER), frameUrl).toBe(
        false,
      );
    }
  });
});
