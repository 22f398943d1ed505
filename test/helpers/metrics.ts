/**
 * Test helper: read a running vlrerank's Prometheus metrics (`/_vlrerank/metrics`) the way tests
 * assert on them — a counter summed over the samples whose labels include the given ones, and the
 * number of batches each model ran.
 */

async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/_vlrerank/metrics`)).text();
}

/** Sum of a counter's samples whose labels include `labels` (every sample when none are given). */
export async function counterSum(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await metricsText(url);
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`).exec(line);
    if (m && Object.entries(labels).every(([k, v]) => (m[1] ?? '').includes(`${k}="${v}"`))) sum += Number(m[2]);
  }
  return sum;
}

/** Batches run per model so far (`vlrerank_batch_size_count`): 0 for a model means it never ran. */
export async function batchCounts(url: string): Promise<Record<string, number>> {
  const text = await metricsText(url);
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^vlrerank_batch_size_count\{model="([^"]+)"\} (\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}
