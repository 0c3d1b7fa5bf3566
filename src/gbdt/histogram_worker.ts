/**
 * A histogram worker: receives the shared arrays once, then waits on the control block for
 * node jobs and does its share of the features (see node_jobs.ts). Blocking waits keep the
 * round trip in microseconds, where a postMessage per node would cost far more.
 */
import {
  C_CMD,
  C_DONE,
  C_JOIN,
  C_SEQ,
  CMD_QUIT,
  type NodeArrays,
  runShare,
  SPIN_POLLS,
} from "./node_jobs.ts";

interface Init {
  arrays: NodeArrays;
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
    // If this worker woke late, the calling thread may have closed the job (or moved on to
    // later ones): then joining fails and the worker waits for the next job.
    if (Atomics.compareExchange(c, C_JOIN + index, seq - 1, seq) !== seq - 1) continue;
    runShare(arrays);
    Atomics.store(c, C_DONE + index, seq);
    Atomics.notify(c, C_DONE + index);
  }
  scope.close();
};
