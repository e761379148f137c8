/** The page's files (HTML, script, style), read once from dashboard/page/: nothing from elsewhere. */
import { readFile } from "node:fs/promises";

export interface PageAssets {
  readonly html: string;
  readonly script: string;
  readonly style: string;
}

/** Reads the page's files. */
export async function loadPageAssets(): Promise<PageAssets> {
  const read = (name: string) => readFile(new URL(`./page/${name}`, import.meta.url), "utf8");
  const [html, script, style] = await Promise.all([
    read("index.html"),
    read("app.js"),
    read("app.css"),
  ]);
  return { html, script, style };
}
