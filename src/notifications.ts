/** The notifications a client's iterator yields, shaped like the Go library's. */

/** Notification type names, as constants. */
export const NotificationType = {
  /** A stream was assigned to this consumer (from the LBS or startup recovery). */
  StreamAdded: "StreamAdded",
  /** Some consumer's lock on a stream expired: claim() it to take over. */
  StreamExpired: "StreamExpired",
  /** This consumer lost a stream it owned (its lock expired or was taken). */
  StreamDisowned: "StreamDisowned",
  /** The iterator is ending; the reason is in `additionalInfo.info`. */
  StreamTerminated: "StreamTerminated",
} as const;

export type NotificationType = typeof NotificationType[keyof typeof NotificationType];

/** Which stream a notification is about; `idInLbs` is the LBS entry that assigned it. */
export interface LbsInfo {
  readonly dataStreamName: string;
  readonly idInLbs: string;
}

/** One notification from the client. */
export interface Notification {
  readonly type: NotificationType;
  readonly payload: LbsInfo;
  /** StreamAdded: the producer's Info. StreamTerminated: `{ info }`. Others: context such as `reason`. */
  readonly additionalInfo: Readonly<Record<string, unknown>>;
  /** Fencing token of this acquisition (StreamAdded only). */
  readonly fence?: number;
}

/** Builds the StreamTerminated notification, which carries no stream. */
export function terminatedNotification(info: string): Notification {
  return {
    type: NotificationType.StreamTerminated,
    payload: { dataStreamName: "", idInLbs: "" },
    additionalInfo: { info },
  };
}
