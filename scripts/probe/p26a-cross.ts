/**
 * p26a: the same searches on two builds in turn, several rounds — model runs, record write-backs and
 * store errors per round and build (a ping-pong shows as runs or writes that do not fall to 0), and
 * the answers of each build compared round to round.
 *   npx tsx scripts/probe/p26a-cross.ts NEW_BASE OLD_BASE [rounds]
 */
import { delta, differ, metrics, search, type Hit } from './p26a-lib.js';
const [a, b, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 3);
const asks: Array<[string, string | undefined, Record<string, unknown>]> = [
  ['p26a-grocery', 'green apple', {}],
  ['p26a-grocery', 'orange juice carton', {}],
  ['p26a-grocery', 'milk', {}],
  ['p26a-coco', 'a man riding a horse', {}],
  ['p26a-coco', 'a kitchen with a table', {}],
  ['p26a-videos', 'people walking', {}],
  ['p26a-videos', 'a car on the road', {}],
];
const first: Record<string, Record<string, Hit[]>> = {};
for (let r = 1; r <= rounds; r++) {
  for (const base of [a!, b!]) {
    const m0 = await metrics(base);
    const bad: string[] = [];
    for (const [index, text, extra] of asks) {
      const s = await search(base, index, text, extra);
      if (s.status !== 200 || s.body.vlrerank?.degraded) bad.push(`${index} "${text}": ${s.status} ${JSON.stringify(s.body.vlrerank?.degraded ?? s.body.error).slice(0, 200)}`);
      const k = `${index}|${text}`;
      first[base] ??= {};
      if (!first[base]![k]) first[base]![k] = s.hits;
      else {
        const d = differ(first[base]![k]!, s.hits);
        if (d) bad.push(`${k} changed since round 1: ${d}`);
      }
    }
    await new Promise((res) => setTimeout(res, 1500)); // write-backs are asynchronous
    console.log(`round ${r} ${base}`, JSON.stringify(delta(m0, await metrics(base))), bad.length ? `\n  ${bad.join('\n  ')}` : '');
  }
}
// the two builds' answers side by side
for (const k of Object.keys(first[a!] ?? {})) {
  const d = differ(first[a!]![k]!, first[b!]![k]!);
  console.log(`${k}: ${d ? `DIFF ${d}` : 'same'}`);
}
