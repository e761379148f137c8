/** Stream replies as plain `{ id, message }` entries. */

/**
 * Flattens an XREAD / XREADGROUP reply (RESP2 array or RESP3 map), or
 * `[{ messages }]` wrapping an XRANGE reply, into its entries; nulls (deleted
 * entries) are left out.
 */
export function streamMessages(
  reply: unknown,
): Array<{ id: string; message: Record<string, string> }> {
  if (!reply) return [];
  const streams = reply instanceof Map
    ? [...reply.values()].map((messages) => ({ messages }))
    : Array.isArray(reply)
    ? reply
    : Object.values(reply as Record<string, unknown>).map((messages) => ({ messages }));
  const out: Array<{ id: string; message: Record<string, string> }> = [];
  for (const stream of streams as Array<{ messages: unknown }>) {
    for (const entry of (stream.messages ?? []) as Array<unknown>) {
      if (!entry) continue;
      const { id, message } = entry as { id: string; message: Record<string, string> };
      out.push({ id, message: message ?? {} });
    }
  }
  return out;
}
