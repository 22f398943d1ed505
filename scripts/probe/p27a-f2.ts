/** Held-out probe round 27a: a photo replaced in place by a copy of the same size whose mtime is set back to the nanosecond (`touch -r`); the search before and after, and the same bytes under a path of their own. Env: P27A_BASE, P27A_TMP. */
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { scores, truth, call, BASE, TMP } from './p27a-lib.js';
const p = `${TMP}/photos/Nectarine.jpg`;
const q = 'a red apple';
console.log('before', (await scores('p27a-g', q, ['Nectarine'])).Nectarine);
execFileSync('cp', ['-p', p, `${TMP}/nect-ref.jpg`]);
const st = statSync(p);
const other = readFileSync(`${TMP}/photos/Red-Delicious.jpg`);
console.log('sizes', st.size, other.length);
const b = Buffer.alloc(st.size, 0);
other.copy(b, 0, 0, Math.min(other.length, st.size));
writeFileSync(p, b);
execFileSync('touch', ['-r', `${TMP}/nect-ref.jpg`, p]);
console.log(execFileSync('stat', ['-c', '%s %y', p, `${TMP}/nect-ref.jpg`]).toString());
writeFileSync(`${TMP}/nect-new.jpg`, b);
console.log('search after', (await scores('p27a-g', q, ['Nectarine'])).Nectarine);
const doc = (await call(BASE, 'GET', '/p27a-g/_source/Nectarine')).json;
console.log('truth same path', await truth('Nectarine', doc, q));
console.log('truth new path', await truth('Nectarine', { ...doc, image: `${TMP}/nect-new.jpg` }, q));
// vlrerank restarted-equivalent: /v1/rerank of the path
const v = await call(BASE, 'POST', '/_vlrerank/rerank', { query: { text: q }, documents: [{ image: p }, { image: `${TMP}/nect-new.jpg` }] });
console.log('api', v.text.slice(0, 300));
