/**
 * A bench child's stdout read as it prints: each line that is a JSON object is echoed to this
 * process's stdout and handed to `onRow`; other lines are dropped (rss-cycles.ts, rss-components.ts).
 */
import type { Readable } from 'node:stream';

export function echoJsonLines<T>(out: Readable, onRow: (row: T) => void): void {
  let buf = '';
  out.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!line.startsWith('{')) continue;
      process.stdout.write(line + '\n');
      onRow(JSON.parse(line) as T);
    }
  });
}
