/**
 * Poll until `cond` holds: at most `tries` looks, `everyMs` apart; then fail naming `what`. For
 * states a test cannot await directly (a Redis tier reconnecting, a counter catching up).
 */
export async function until(cond: () => boolean | Promise<boolean>, o: { tries: number; everyMs: number; what?: string }): Promise<void> {
  for (let i = 0; i < o.tries; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, o.everyMs));
  }
  throw new Error(o.what ? `never: ${o.what}` : 'condition never held');
}

/**
 * Until a model's queue has been quiet for a second: nothing queued and nothing running, ten looks
 * in a row, 100 ms apart (at most 10 minutes) — work a hung-up client left behind has drained.
 */
export async function untilModelIdle(model: { queue(): { pending: number; running: boolean } }): Promise<void> {
  let quiet = 0;
  await until(
    () => {
      const q = model.queue();
      quiet = q.pending === 0 && !q.running ? quiet + 1 : 0;
      return quiet >= 10;
    },
    { tries: 6000, everyMs: 100, what: 'the text model idle' },
  );
}
