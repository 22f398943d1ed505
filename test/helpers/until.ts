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
