/**
 * Held-out probe round 22a: the media of a support knowledge base, made from ../shared/data in a
 * temporary folder (never committed): SciFact abstracts and Grocery descriptions as page screenshots
 * (Debian's Chromium headless), slides, a chart, a terminal, a tall full page (1280×20000), tiny
 * text, text turned 90°, CJK beside Latin, a photo without text, an animated GIF, a huge image, an
 * unreadable file, a PDF and an SVG given as "images". Prints the manifest (JSON) on stdout.
 *
 *   npx tsx scripts/probe/p22a-media.ts [out-dir]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

/** The shared data sets beside the checkout (../shared/data), as the benches find them. */
const DATA = process.env.VLRERANK_DATA_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data');
const out = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'p22a-media-'));
mkdirSync(out, { recursive: true });

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const corpus = readFileSync(join(DATA, 'scifact-beir/corpus.jsonl'), 'utf8').trim().split('\n').slice(0, 400).map((l) => JSON.parse(l) as { _id: string; title: string; text: string });
const grocery = readFileSync(join(DATA, 'grocery-store-products/catalog.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { title: string; description: string; iconic_image: string });

function chromium(html: string, file: string, w: number, h: number, pdf = false): void {
  const page = join(out, `${file}.html`);
  writeFileSync(page, `<!doctype html><meta charset="utf-8"><body style="margin:24px;font:18px/1.5 'DejaVu Sans','WenQuanYi Micro Hei',sans-serif;background:#fff;color:#222">${html}</body>`);
  const prof = mkdtempSync(join(tmpdir(), 'p22a-chrome-'));
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${prof}`, '--hide-scrollbars'];
  if (pdf) args.push(`--print-to-pdf=${join(out, file)}`, '--no-pdf-header-footer');
  else args.push(`--screenshot=${join(out, file)}`, `--window-size=${w},${h}`);
  execFileSync('chromium', [...args, `file://${page}`], { stdio: 'ignore', timeout: 120_000 });
  rmSync(prof, { recursive: true, force: true });
  rmSync(page);
}

const svg = async (file: string, w: number, h: number, body: string, bg = '#fff') => {
  await sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="100%" height="100%" fill="${bg}"/>${body}</svg>`)).png().toFile(join(out, file));
};

const manifest: Record<string, { file: string; text?: string; note: string }> = {};
const add = (key: string, file: string, note: string, text?: string) => { manifest[key] = { file: join(out, file), note, ...(text ? { text } : {}) }; };

// page screenshots of abstracts (the words the search will look for are in the picture only)
for (const [i, d] of corpus.slice(0, 6).entries()) {
  chromium(`<h2>${esc(d.title)}</h2><p>${esc(d.text.slice(0, 900))}</p>`, `page-${i}.png`, 1280, 800);
  add(`page-${i}`, `page-${i}.png`, `SciFact ${d._id} as a page screenshot`, `${d.title}\n${d.text}`);
}
// Grocery descriptions as screenshots
for (const [i, g] of grocery.filter((_, k) => k % 11 === 0).slice(0, 4).entries()) {
  chromium(`<h1>${esc(g.title)}</h1><p style="font-size:22px">${esc(g.description)}</p>`, `grocery-${i}.png`, 1024, 600);
  add(`grocery-${i}`, `grocery-${i}.png`, `Grocery "${g.title}" as a screenshot`, `${g.title}\n${g.description}`);
}
// slide: a big title, few words
await svg('slide.png', 1280, 720, `<text x="80" y="260" font-family="DejaVu Sans" font-weight="bold" font-size="72">Reset your router</text><text x="80" y="380" font-family="DejaVu Sans" font-size="40">Hold the button 30 seconds</text>`, '#f3f6fb');
add('slide', 'slide.png', 'slide: big title, few words', 'Reset your router\nHold the button 30 seconds');
// chart with axis labels
const bars = [['Jan', 120], ['Feb', 180], ['Mar', 90], ['Apr', 240]] as const;
await svg('chart.png', 900, 600, `<text x="300" y="50" font-family="DejaVu Sans" font-size="28">Monthly ticket volume</text><line x1="100" y1="520" x2="850" y2="520" stroke="#000"/><line x1="100" y1="80" x2="100" y2="520" stroke="#000"/>${bars.map(([m, v], i) => `<rect x="${150 + i * 170}" y="${520 - v * 1.6}" width="100" height="${v * 1.6}" fill="#4a7"/><text x="${180 + i * 170}" y="555" font-family="DejaVu Sans" font-size="22">${m}</text>`).join('')}<text x="400" y="590" font-family="DejaVu Sans" font-size="22">Month</text><text transform="translate(45,380) rotate(-90)" font-family="DejaVu Sans" font-size="22">Tickets opened</text>`);
add('chart', 'chart.png', 'bar chart with axis labels', 'Monthly ticket volume\nMonth\nTickets opened');
// terminal: monospace on a dark background
const term = ['$ systemctl status nginx', 'nginx.service - A high performance web server', '   Active: failed (Result: exit-code)', '   Error: bind() to 0.0.0.0:80 failed (98: Address already in use)', '$ sudo lsof -i :80'];
await svg('terminal.png', 1100, 320, term.map((l, i) => `<text x="20" y="${50 + i * 48}" font-family="DejaVu Sans Mono" font-size="22" fill="#d0d0d0">${esc(l)}</text>`).join(''), '#1e1e1e');
add('terminal', 'terminal.png', 'terminal screenshot, monospace on dark', term.join('\n'));
// tall full page: 1280×20000, many abstracts
chromium(corpus.slice(10, 90).map((d) => `<h3>${esc(d.title)}</h3><p>${esc(d.text.slice(0, 700))}</p>`).join(''), 'tall.png', 1280, 20000);
add('tall', 'tall.png', 'tall full-page screenshot 1280×20000', corpus.slice(10, 90).map((d) => d.title).join('\n'));
// tiny text (7 px)
await svg('tiny.png', 900, 200, `<text x="10" y="30" font-family="DejaVu Sans" font-size="7">${esc(corpus[6]!.title)}</text>`);
add('tiny', 'tiny.png', 'tiny text (7 px)', corpus[6]!.title);
// text turned 90°
await svg('rotated.png', 200, 1100, `<text transform="translate(100,40) rotate(90)" font-family="DejaVu Sans" font-size="30">Clear the browser cache and cookies</text>`);
add('rotated', 'rotated.png', 'text rotated 90°', 'Clear the browser cache and cookies');
// CJK and Latin
chromium(`<h2>退货政策 Return policy</h2><p>商品在30天内可以退货。Items can be returned within 30 days with the receipt.</p>`, 'cjk.png', 1000, 400);
add('cjk', 'cjk.png', 'CJK beside Latin', '退货政策 Return policy 商品在30天内可以退货。 Items can be returned within 30 days with the receipt.');
// a photo without text
copyFileSync(join(DATA, 'grocery-store-products', grocery[0]!.iconic_image), join(out, 'photo.jpg'));
add('photo', 'photo.jpg', 'a photo with no text (Grocery iconic image)');
// an animated GIF (two frames of text)
execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=5:duration=2', join(out, 'animated.gif')]);
add('animated', 'animated.gif', 'animated GIF (ffmpeg testsrc)');
// huge: 12000×12000 (144 Mpx) solid PNG (small file, huge pixels)
await sharp({ create: { width: 12000, height: 12000, channels: 3, background: '#ffffff' } }).png({ compressionLevel: 9 }).toFile(join(out, 'huge.png'));
add('huge', 'huge.png', 'huge 12000×12000 PNG (a decompression bomb)');
// unreadable: random bytes named .png, and a truncated PNG
writeFileSync(join(out, 'garbage.png'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
add('garbage', 'garbage.png', 'random bytes named .png');
const page0 = readFileSync(join(out, 'page-0.png'));
writeFileSync(join(out, 'truncated.png'), page0.subarray(0, Math.floor(page0.length / 3)));
add('truncated', 'truncated.png', 'a page screenshot cut at a third');
// a PDF and an SVG given as the "image"
chromium(`<h2>${esc(corpus[7]!.title)}</h2><p>${esc(corpus[7]!.text.slice(0, 600))}</p>`, 'doc.pdf', 0, 0, true);
add('pdf', 'doc.pdf', 'a PDF given as the image', corpus[7]!.title);
writeFileSync(join(out, 'diagram.svg'), `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="200"><rect width="100%" height="100%" fill="#fff"/><text x="20" y="100" font-size="40" font-family="DejaVu Sans">Firewall rules diagram</text></svg>`);
add('svg', 'diagram.svg', 'an SVG given as the image', 'Firewall rules diagram');

process.stdout.write(JSON.stringify({ dir: out, media: manifest }, null, 1) + '\n');
