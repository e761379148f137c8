/**
 * Least-privilege Redis ACL rules for the three roles that touch a service:
 * a consumer (the stream client and the message layer on its data streams),
 * a producer (hands data streams out and publishes to them) and a read-only
 * operator (the admin views, the CLI's read commands, the dashboard).
 *
 * Each function returns the rules to put after `ACL SETUSER <name> on
 * ><password>`; tests/security/acl.test.ts runs each role's work as a user
 * with exactly these rules. Lock keys are `<data stream><MUTEX_KEY_SEP><id>`
 * (the Go wire format), so they carry no service name: the consumer's lock
 * pattern is every key holding the separator, unless `dataKeys` narrows data
 * stream names to a prefix the lock pattern can then start with.
 */
import {
  lbsDeadLetterKey,
  lbsStreamKey,
  LOCK_KEY_SEPARATOR,
  orphanChannel,
  reconcileLockKey,
  stateFeedKey,
  sweepLockKey,
} from "./keys.ts";

/** What the rules are for. */
export interface AclOptions {
  /** The service (LBS) name. */
  readonly service: string;
  /**
   * Key patterns of the data streams and the message layer's keys beside them
   * (checkpoints, retry state, dead letters), e.g. `orders:*`. When given, lock
   * keys are scoped to them too (`orders:*<MUTEX_KEY_SEP>*`).
   */
  readonly dataKeys?: readonly string[];
  /**
   * Whether the consumer may set `notify-keyspace-events` (`keyspaceConfig`
   * "merge" or "force"); with "skip" it needs no CONFIG at all.
   * @default true
   */
  readonly configureKeyspaceEvents?: boolean;
}

/** Every connection: node-redis's handshake (HELLO, AUTH, CLIENT SETNAME when named) and PING. */
const CONNECTION = ["+hello", "+auth", "+client|setname", "+ping", "+select"];

const CONSUMER_COMMANDS = [
  // LBS: group, reads, claims, acks, recovery and the dead-letter stream.
  "+xgroup|create",
  "+xreadgroup",
  "+xack",
  "+xdel",
  "+xclaim",
  "+xautoclaim",
  "+xpending",
  "+xrange",
  "+xadd",
  "+xinfo|stream",
  "+xinfo|groups",
  // Locks, fences, the consumer index and the leases (mostly inside scripts).
  "+evalsha",
  "+eval",
  "+script|load", // the lock library loads its scripts

  "+set",
  "+get",
  "+del",
  "+exists",
  "+pexpire",
  "+pttl",
  "+incr",
  "+sadd",
  "+srem",
  "+smembers",
  "+scard",
  "+zadd",
  "+zrem",
  "+zscore",
  "+zrangebyscore",
  "+zcount",
  "+time",
  // Orphan notices and expired-key events.
  "+publish",
  "+subscribe",
  "+unsubscribe",
  // The message layer on data streams.
  "+xread",
  "+xlen",
  "+hget",
  "+hincrby",
  "+hdel",
  "+multi",
  "+exec",
];

/** The consumer index and the per-client lock sets: `{<service>}-consumers`, `{<service>}-locks:*`. */
function serviceTaggedKeys(service: string): string {
  return `{${service}}-*`;
}

function dataKeyRules(options: AclOptions): string[] {
  return (options.dataKeys ?? []).map((pattern) => `~${pattern}`);
}

/** Lock keys `<stream><SEP><id>` and their fences `{<stream><SEP><id>}:fence`. */
function lockKeyRules(options: AclOptions): string[] {
  if (!options.dataKeys?.length) return [`~*${LOCK_KEY_SEPARATOR}*`];
  return options.dataKeys.flatMap((pattern) => {
    const prefix = pattern.endsWith("*") ? pattern : `${pattern}*`;
    return [`~${prefix}${LOCK_KEY_SEPARATOR}*`, `~{${prefix}${LOCK_KEY_SEPARATOR}*`];
  });
}

/** ACL rules of a consumer: `createStreamClient` and the message layer on its data streams. */
export function consumerAclRules(options: AclOptions): string[] {
  const { service } = options;
  return [
    "resetkeys",
    "resetchannels",
    "-@all",
    ...CONNECTION,
    ...CONSUMER_COMMANDS,
    ...(options.configureKeyspaceEvents === false ? [] : ["+config|get", "+config|set"]),
    `~${lbsStreamKey(service)}`,
    `~${lbsDeadLetterKey(service)}`,
    `~${serviceTaggedKeys(service)}`,
    `~${sweepLockKey(service)}`,
    `~${reconcileLockKey(service)}`,
    `~${stateFeedKey(service)}`,
    ...lockKeyRules(options),
    ...dataKeyRules(options),
    `&${orphanChannel(service)}`,
    "&__keyevent@*__:expired",
  ];
}

/** ACL rules of a producer: `addStream` to the LBS and `publish` to data streams. */
export function producerAclRules(options: AclOptions): string[] {
  return [
    "resetkeys",
    "resetchannels",
    "-@all",
    ...CONNECTION,
    "+xadd",
    "+xgroup|create",
    `~${lbsStreamKey(options.service)}`,
    ...dataKeyRules(options),
  ];
}

/** ACL rules of a read-only operator: admin views, the CLI's read commands, the dashboard. */
export function operatorAclRules(options: AclOptions): string[] {
  const { service } = options;
  return [
    "resetkeys",
    "resetchannels",
    "-@all",
    ...CONNECTION,
    "+xinfo|stream",
    "+xinfo|groups",
    "+xinfo|consumers",
    "+xpending",
    "+xrange",
    "+xrevrange",
    "+xread",
    "+xlen",
    "+get",
    "+pttl",
    "+smembers",
    "+scard",
    "+zrange",
    "+zrangebyscore",
    "+time",
    "+scan",
    "+type",
    `%R~${lbsStreamKey(service)}`,
    `%R~${lbsDeadLetterKey(service)}`,
    `%R~${serviceTaggedKeys(service)}`,
    `%R~${stateFeedKey(service)}`,
    ...lockKeyRules(options).map((rule) => `%R${rule}`),
    ...dataKeyRules(options).map((rule) => `%R${rule}`),
  ];
}
