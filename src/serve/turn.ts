/**
 * Giving the event loop a turn: `nextTurn()` resolves after the I/O that is ready now has
 * been handled (node:timers' setImmediate, a few microseconds), not after a timer tick
 * (`setTimeout(0)` is clamped to milliseconds when nested). Used to let concurrent requests
 * meet in one batch and to slice long computations so other requests keep their latency.
 */
import { setImmediate } from "node:timers";

export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
