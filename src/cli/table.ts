/** Human-readable tables and values for the CLI's default output. */
import { styles } from "./io.ts";

/** A cell: text, a number, or null (shown as "-"). */
export type Cell = string | number | null | undefined;

/** Renders rows under bold headers, columns padded to their widest cell. */
export function table(headers: readonly string[], rows: readonly Cell[][], color: boolean): string {
  if (rows.length === 0) return styles(color).dim("(none)");
  const text = rows.map((row) => row.map(cellText));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  const { bold } = styles(color);
  return [bold(line(headers)), ...text.map(line)].join("\n");
}

function cellText(cell: Cell): string {
  return cell === null || cell === undefined || cell === "" ? "-" : String(cell);
}

/** A duration for people: 850ms, 12.3s, 4m05s, 2h10m. */
export function duration(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  const sign = ms < 0 ? "-" : "";
  const abs = Math.abs(ms);
  if (abs < 1000) return `${sign}${Math.round(abs)}ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(1)}s`;
  const minutes = Math.floor(abs / 60_000);
  if (minutes < 60) {
    return `${sign}${minutes}m${String(Math.floor((abs % 60_000) / 1000)).padStart(2, "0")}s`;
  }
  return `${sign}${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}
