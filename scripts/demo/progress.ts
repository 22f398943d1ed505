/**
 * Progress bars for `npm start` (cli-progress): one bar per long step, plain lines when stdout is
 * not a terminal (CI logs), so the output stays readable either way.
 */
import cliProgress from 'cli-progress';

export interface Bar {
  update(value: number, payload?: Record<string, string>): void;
  setTotal(total: number): void;
  stop(): void;
}

const tty = process.stdout.isTTY === true;
/** Longest a plain-line bar stays silent while it moves. */
const QUIET_MS = 60_000;

export function bar(label: string, total: number, unit = ''): Bar {
  if (!tty) {
    let last = -1;
    let at = Date.now();
    process.stdout.write(`${label}…\n`);
    return {
      update(v, payload) {
        const pct = total ? Math.floor((100 * v) / total / 10) * 10 : 0;
        // a line each time a tenth is crossed, showing the true share (1/3 is 33%, not the 30% step),
        // and at least once a minute: a tenth of SciFact took a quarter of an hour on a loaded machine
        const stale = Date.now() - at >= QUIET_MS && v > 0 && v < total;
        if ((pct !== last && pct > 0) || stale) {
          process.stdout.write(`  ${label}: ${Math.round(v)}/${total}${unit} (${Math.round((100 * v) / total)}%)${payload?.note ? ` ${payload.note}` : ''}\n`);
          at = Date.now();
        }
        last = pct;
      },
      setTotal(t) {
        total = t;
      },
      stop() {},
    };
  }
  const b = new cliProgress.SingleBar(
    { format: `  ${label.padEnd(30)} [{bar}] {value}/{total}${unit} {note}`, hideCursor: true, barsize: 28, clearOnComplete: false, stopOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  b.start(total, 0, { note: '' });
  return {
    update: (v, payload) => b.update(Math.round(v), payload ?? {}),
    setTotal: (t) => b.setTotal(t),
    stop: () => b.stop(),
  };
}

export function step(msg: string): void {
  process.stdout.write(`• ${msg}\n`);
}
