/**
 * What a command tells a person on stderr while it works, so stdout stays
 * parseable. A step is always a line of its own, whatever the caller passed:
 * in a log (stderr not a terminal) steps that ran together were unreadable
 * (issue #14: `outpost icinga pair`). A live status (a progress bar) is
 * redrawn in place on a terminal and left out elsewhere, where it would only
 * be noise; the steps around it still say what happened.
 */
export class ProgressWriter {
  readonly #write: (text: string) => void;
  readonly #isTerminal: boolean;
  #statusShown = false;

  constructor(write: (text: string) => void, isTerminal: boolean) {
    this.#write = write;
    this.#isTerminal = isTerminal;
  }

  /** One step: ends with a newline whether or not `text` did. */
  line(text: string): void {
    this.end();
    this.#write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A question answered on the same line. */
  prompt(text: string): void {
    this.end();
    this.#write(text);
  }

  /** Replaces the previous status on a terminal (carriage return, erase to end of line). */
  status(text: string): void {
    if (!this.#isTerminal) return;
    this.#write(`\r${text}\x1b[K`);
    this.#statusShown = true;
  }

  /** Closes an open status line, so what follows starts on a line of its own. */
  end(): void {
    if (!this.#statusShown) return;
    this.#statusShown = false;
    this.#write('\n');
  }
}
