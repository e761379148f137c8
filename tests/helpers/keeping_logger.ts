/** A logger that keeps every line, so tests can assert on what a user is told. */
import type { Logger } from "../../mod.ts";

export interface KeptLine {
  readonly level: string;
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

export function keepingLogger(): { logger: Logger; lines: KeptLine[] } {
  const lines: KeptLine[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    void lines.push({ level, message, fields });
  const logger: Logger = {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
  return { logger, lines };
}
