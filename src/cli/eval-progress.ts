/**
 * Progress of `vlrerank eval` on stderr: a bar on a terminal; elsewhere (a notebook's `!vlrerank
 * eval`, a CI log, `2> log`) a line at each tenth of the searches — 5,000 queries ran for an hour
 * there without a word, no bar being drawn off a terminal (held-out probe round 14c).
 */
import cliProgress from 'cli-progress';

export function progress(total: number, stream: NodeJS.WriteStream = process.stderr): { tick: (done: number) => void; stop: () => void } {
  if (total < 5) return { tick: () => {}, stop: () => {} };
  if (!stream.isTTY) {
    if (total < 50) return { tick: () => {}, stop: () => {} };
    let said = 0;
    return {
      tick: (d) => {
        const tenth = Math.floor((d * 10) / total);
        if (tenth > said) {
          said = tenth;
          stream.write(`eval: ${d}/${total} searches (${tenth * 10} %)\n`);
        }
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar({ format: 'eval |{bar}| {value}/{total} searches', stream, hideCursor: true }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  return { tick: (d) => bar.update(d), stop: () => bar.stop() };
}
