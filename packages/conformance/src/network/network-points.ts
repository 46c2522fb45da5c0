/**
 * Network fault points, the network twin of the kill points: "before/after the k-th request or
 * reply" through the fault proxy, optionally only counting messages of one kind. Written
 * `<before|after>-<request|reply>:<nth>[:<kind>]`, e.g. `before-reply:1:CommandComplete` (the
 * server committed, the client never hears of it), `after-request:3` (the third message reached
 * the server), `before-request:1:PUT` (the next PUT never arrives).
 * @module
 */
import type { Direction, MessageInfo } from './framing/types.js';

/** Where a fault fires. */
export interface NetworkPoint {
  /** `before`: no byte of the message has passed; `after`: all of it has been handled. */
  readonly when: 'before' | 'after';
  readonly direction: Direction;
  /** 1 = the first matching message after the point is armed. */
  readonly nth: number;
  /** Count only messages whose kind is this, or starts with this and a space (`PUT` matches `PUT /b/k`). */
  readonly kind?: string;
}

/** Every `<when>-<direction>` a point can name. */
export const NETWORK_POINTS: readonly string[] = ['before-request', 'after-request', 'before-reply', 'after-reply'];

/** True when `message` is counted by `point`. */
export function pointMatches(point: NetworkPoint, direction: Direction, message: MessageInfo): boolean {
  if (point.direction !== direction) return false;
  const kind = point.kind;
  return kind === undefined || message.kind === kind || message.kind.startsWith(`${kind} `);
}

/** Parses `<when>-<direction>:<nth>[:<kind>]`; throws a `RangeError` naming the valid forms. */
export function parseNetworkPoint(spec: string): NetworkPoint {
  const [name = '', nthText = '1', ...rest] = spec.split(':');
  const [when, direction] = name.split('-');
  const nth = Number(nthText);
  if (!NETWORK_POINTS.includes(name) || !Number.isInteger(nth) || nth < 1) {
    throw new RangeError(`a network point is <point>:<nth>[:<kind>] with a point of ${NETWORK_POINTS.join(', ')}; got "${spec}"`);
  }
  const kind = rest.join(':');
  const point = { when: when as NetworkPoint['when'], direction: direction as Direction, nth };
  return kind === '' ? point : { ...point, kind };
}

/** The spec `parseNetworkPoint` reads back, for failure reports that replay. */
export function formatNetworkPoint(point: NetworkPoint): string {
  return `${point.when}-${point.direction}:${point.nth}${point.kind === undefined ? '' : `:${point.kind}`}`;
}
