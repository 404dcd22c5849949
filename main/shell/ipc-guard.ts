import { isRendererUrl } from './renderer-url.ts';

/**
 * IPC is accepted only from our own frame (issue #8, STYLE.md "checks the
 * sender"): the main frame of our window, showing our renderer
 * (app://outpost/index.html, renderer-url.ts `isRendererUrl`). An iframe, a
 * navigated-away window or another scheme, host, path or origin is refused.
 */
export interface SenderFacts {
  /** `event.senderFrame?.url`; undefined when the frame is gone. */
  frameUrl: string | undefined;
  /** The sending frame is the main frame of our window's webContents. */
  isMainFrameOfOurWindow: boolean;
}

export function isTrustedSender(sender: SenderFacts, rendererUrl: string): boolean {
  return (
    sender.isMainFrameOfOurWindow &&
    sender.frameUrl !== undefined &&
    isRendererUrl(sender.frameUrl, rendererUrl)
  );
}
