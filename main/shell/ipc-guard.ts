/**
 * IPC is accepted only from our own frame (issue #8, STYLE.md "checks the
 * sender"): the main frame of our window, showing our renderer's index.html.
 * An iframe, a navigated-away window or another origin is refused.
 */
export function isOwnRendererUrl(frameUrl: string, rendererUrl: string): boolean {
  let frame: URL;
  let expected: URL;
  try {
    frame = new URL(frameUrl);
    expected = new URL(rendererUrl);
  } catch {
    return false;
  }
  if (frame.protocol !== expected.protocol) return false;
  if (expected.protocol === 'file:')
    return frame.pathname === expected.pathname && frame.host === '';
  // A dev server (electron-vite dev): same origin is enough, the path changes with routing.
  return frame.origin === expected.origin;
}

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
    isOwnRendererUrl(sender.frameUrl, rendererUrl)
  );
}
