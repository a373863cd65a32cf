/**
 * One benchmark figure, printed as a JSON line on standard output (see ../shared/BENCH.md);
 * anything meant for people goes to standard error.
 */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  goal?: string;
  params?: Record<string, string | number>;
  baseline?: { name: string; value: number };
  ratio?: number;
}

export function emit(figure: Figure): void {
  const withRatio =
    figure.baseline && figure.ratio === undefined
      ? { ...figure, ratio: Number((figure.value / figure.baseline.value).toFixed(3)) }
      : figure;
  process.stdout.write(JSON.stringify(withRatio) + "\n");
}

export function note(message: string): void {
  process.stderr.write(message + "\n");
}

/** Runs `operation` from `concurrency` loops for `seconds`; returns completed operations per second. */
export async function throughput(
  operation: () => Promise<unknown>,
  seconds: number,
  concurrency = 1,
): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await operation();
        done += 1;
      }
    }),
  );
  return Math.round(done / ((performance.now() - started) / 1000));
}
