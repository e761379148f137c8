/**
 * What the CLI writes to and reads from the terminal: output on stdout,
 * messages and progress on stderr, colours only on a TTY without NO_COLOR.
 */
import process from "node:process";

/** The CLI's view of its terminal; tests and embedders pass their own. */
export interface CliIo {
  /** Writes a line to stdout. */
  out(line: string): void;
  /** Writes a line to stderr. */
  err(line: string): void;
  /** Writes text to stderr as it is (a progress line rewritten in place). */
  errRaw(text: string): void;
  /** Whether stderr is a terminal (progress rewrites one line there). */
  readonly errIsTty: boolean;
  /** Whether to colour: stdout is a TTY and NO_COLOR is unset. */
  readonly color: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The process's own terminal. */
export function terminalIo(): CliIo {
  const env = process.env;
  return {
    out: (line) => process.stdout.write(line + "\n"),
    err: (line) => process.stderr.write(line + "\n"),
    errRaw: (text) => process.stderr.write(text),
    errIsTty: process.stderr.isTTY === true,
    color: process.stdout.isTTY === true && !env.NO_COLOR,
    env,
  };
}

/** ANSI styles that vanish when colour is off. */
export function styles(color: boolean) {
  const wrap = (open: number, close: number) => (text: string) =>
    color ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
  };
}

/**
 * Progress of a long operation on stderr: one line rewritten in place on a
 * TTY; elsewhere a line at most every `everyMs`, and always the last one.
 */
export class Progress {
  readonly #io: CliIo;
  readonly #label: string;
  readonly #everyMs: number;
  #printedAt = 0;
  #latest: string | undefined;
  #printed: string | undefined;

  constructor(io: CliIo, label: string, everyMs = 1000) {
    this.#io = io;
    this.#label = label;
    this.#everyMs = everyMs;
  }

  update(text: string): void {
    this.#latest = text;
    if (this.#io.errIsTty) {
      this.#io.errRaw(`\r\u001b[2K${this.#label}: ${text}`);
      return;
    }
    const now = Date.now();
    if (now - this.#printedAt < this.#everyMs) return;
    this.#printedAt = now;
    this.#print(text);
  }

  /** Ends the progress with its last state (or `text`) on a line of its own. */
  done(text = this.#latest): void {
    if (this.#io.errIsTty) this.#io.errRaw("\r\u001b[2K");
    if (text !== undefined && (this.#io.errIsTty || text !== this.#printed)) this.#print(text);
  }

  #print(text: string): void {
    this.#io.err(`${this.#label}: ${text}`);
    this.#printed = text;
  }
}
