/**
 * A histogram worker: receives the shared arrays once, then waits on the control block for
 * jobs and builds its share of features (see histogram.ts). Blocking waits keep the
 * round trip in microseconds, where a postMessage per node would cost far more.
 */
import {
  buildShare,
  C_CMD,
  C_DONE,
  C_SEQ,
  CMD_QUIT,
  type HistogramArrays,
  SPIN_POLLS,
} from "./histogram.ts";

interface Init {
  arrays: HistogramArrays;
  index: number;
}

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<Init>) => void) | null;
  postMessage(m: unknown): void;
  close(): void;
};

scope.onmessage = (e: MessageEvent<Init>) => {
  const { arrays, index } = e.data;
  const c = arrays.control;
  scope.onmessage = null;
  // Read the sequence number before saying ready, so no job can slip in between.
  let seq = Atomics.load(c, C_SEQ);
  scope.postMessage("ready");
  for (;;) {
    let polls = 0;
    while (Atomics.load(c, C_SEQ) === seq) {
      if (++polls > SPIN_POLLS) Atomics.wait(c, C_SEQ, seq, 50);
    }
    seq = Atomics.load(c, C_SEQ);
    if (c[C_CMD] === CMD_QUIT) break;
    buildShare(arrays, index);
    Atomics.add(c, C_DONE, 1);
    Atomics.notify(c, C_DONE);
  }
  scope.close();
};
