/**
 * Serves many items with one call per chunk of them: each call stays small (no
 * command keeps Redis busy long), and all are issued in one tick, so they
 * travel as one pipeline. `call` answers one result per item of its chunk;
 * the answers come back in item order.
 */
export async function inChunks<T, R>(
  items: readonly T[],
  chunkSize: number,
  call: (chunk: T[]) => Promise<readonly R[]>,
): Promise<R[]> {
  const calls: Promise<readonly R[]>[] = [];
  for (let i = 0; i < items.length; i += chunkSize) calls.push(call(items.slice(i, i + chunkSize)));
  return (await Promise.all(calls)).flat() as R[];
}
