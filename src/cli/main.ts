/**
 * The `rsc` command line: operate a service's LBS, owners, streams, groups
 * and dead letters. Run it with `npx rsc`, `bunx rsc`, `deno task rsc` or
 * `deno run -A jsr:@rsc/redis-stream-client/cli` (see the README's CLI section).
 *
 * @example
 * ```sh
 * deno run -A jsr:@rsc/redis-stream-client/cli owners orders --url redis://127.0.0.1:6379
 * ```
 * @module
 */
import { runInProcess } from "./process_main.ts";

await runInProcess();
