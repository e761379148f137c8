import { LuaScript } from "../redis/lua_script.ts";

/**
 * How much work the LBS holds, for sharing a burst fairly: its entries (the
 * unfinished streams: both this library and the Go client delete an entry
 * once its stream is done), how many of them no consumer has read yet, and
 * the group's last delivered id, which moves whenever any consumer reads.
 *
 * KEYS[1] the LBS stream; ARGV[1] its consumer group
 * Returns { entries, unread, last delivered id ("" when the group is missing) }.
 */
export const lbsBacklog = new LuaScript(`
local entries = redis.call('XLEN', KEYS[1])
if entries == 0 and redis.call('EXISTS', KEYS[1]) == 0 then return { 0, 0, '' } end
for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local fields = {}
  for i = 1, #group, 2 do fields[group[i]] = group[i + 1] end
  if fields['name'] == ARGV[1] then
    -- lag is exact unless entries were deleted ahead of the group's cursor (then it is nil)
    local unread = fields['lag']
    if type(unread) ~= 'number' then unread = math.max(0, entries - fields['pending']) end
    return { entries, unread, fields['last-delivered-id'] }
  end
end
return { entries, entries, '' }
`);

/** What a lbsBacklog reply says. */
export interface LbsBacklog {
  /** Unfinished streams: owned, orphaned or not yet read. */
  readonly entries: number;
  /** Entries no consumer has read yet. */
  readonly unread: number;
  /** The group's cursor: it moves whenever a consumer reads. */
  readonly lastDeliveredId: string;
}

/** Parses a lbsBacklog reply. */
export function lbsBacklogOf(reply: unknown): LbsBacklog {
  const [entries, unread, lastDeliveredId] = reply as [number, number, string];
  return {
    entries: Number(entries),
    unread: Number(unread),
    lastDeliveredId: String(lastDeliveredId),
  };
}
