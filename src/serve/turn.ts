/**
 * Giving the event loop a turn, two ways:
 *
 * - `nextTurn()` (node:timers' setImmediate, microseconds) lets the work queued by the
 *   requests handled in this turn meet, so concurrent requests share one ONNX run or one
 *   log commit. Chained, it would starve the sockets: Deno runs immediates before it polls
 *   I/O again, so it is never used to slice long work.
 * - `yieldToIo()` (setTimeout 0) resumes only after pending I/O has been polled: between the
 *   slices of a long computation, so that other clients' requests are read and answered.
 */
import { setImmediate } from "node:timers";

export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const yieldToIo = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
