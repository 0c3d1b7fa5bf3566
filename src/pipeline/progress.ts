/**
 * Progress for long steps: a redrawn bar on a terminal, a plain line every 10% otherwise
 * (logs in CI stay readable).
 */
export interface Progress {
  tick(n?: number): void;
  done(note?: string): void;
}

const encoder = new TextEncoder();

export function progress(label: string, total: number, write: (s: string) => void): Progress {
  const tty = Deno.stderr.isTerminal();
  const start = performance.now();
  let done = 0;
  let lastDecile = -1;
  let lastDraw = 0;
  const elapsed = () => ((performance.now() - start) / 1000).toFixed(1);
  return {
    tick(n = 1) {
      done += n;
      const frac = total > 0 ? Math.min(1, done / total) : 1;
      if (tty) {
        const now = performance.now();
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        const width = 30;
        const fill = Math.round(frac * width);
        const bar = "█".repeat(fill) + "░".repeat(width - fill);
        Deno.stderr.writeSync(
          encoder.encode(`\r  ${label} ${bar} ${done}/${total} ${elapsed()}s\x1b[K`),
        );
      } else {
        const decile = Math.floor(frac * 10);
        if (decile > lastDecile && decile < 10) {
          lastDecile = decile;
          write(`  ${label}: ${done}/${total} (${decile * 10}%) ${elapsed()}s`);
        }
      }
    },
    done(note) {
      if (tty) Deno.stderr.writeSync(encoder.encode("\r\x1b[K"));
      write(`  ${label}: ${done}/${total} done in ${elapsed()}s${note ? ` (${note})` : ""}`);
    },
  };
}
