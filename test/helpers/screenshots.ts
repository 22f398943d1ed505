/** Screenshots rendered by librsvg (sharp) for OCR tests, and the pipeline YAML of an index of them. */
import sharp from 'sharp';

/** One line of 56 px DejaVu Sans on white, 900×240: PP-OCRv4 reads it, spaces kept. */
export const screenshotPng = (words: string): Promise<Buffer> =>
  sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="900" height="240"><rect width="100%" height="100%" fill="white"/><text x="40" y="140" font-family="DejaVu Sans" font-size="56">${words}</text></svg>`)).png().toBuffer();

/** `screenshotPng` as a `data:` URI, the way a document carries it. */
export const screenshot = async (words: string): Promise<string> => `data:image/png;base64,${(await screenshotPng(words)).toString('base64')}`;

/** A pipeline over `index` whose documents have a `title` and a `screenshot`, records kept in the index; `extra`: more YAML. */
export const screenshotPipeline = (name: string, index: string, extra = ''): string => `name: ${name}
index_patterns: [${index}]
fields: { text: [title], image: [screenshot] }
first_stage: { text_query: bm25, fusion: { method: none } }
failure: fail_open
features: { store: index }
${extra}`;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A page screenshot of a document, rendered by librsvg (sharp): `title` in bold, then each paragraph
 * wrapped at ~90 characters a line at 18 px (fewer for larger type), `font` px DejaVu Sans on white,
 * 1000 px wide. PP-OCRv4 glues Latin words together at body sizes (held-out probe round 22a).
 */
export async function pagePng(title: string, paragraphs: string[], font = 18): Promise<Buffer> {
  const lines: string[] = [];
  for (const para of [title, ...paragraphs]) {
    let cur = '';
    for (const w of para.split(/\s+/)) {
      if ((cur + ' ' + w).length > Math.round((90 * 18) / font)) {
        lines.push(cur);
        cur = w;
      } else cur = cur ? `${cur} ${w}` : w;
    }
    lines.push(cur, '');
  }
  const lh = Math.round(font * 1.55);
  const h = 40 + lines.length * lh;
  const body = lines.map((l, i) => `<text x="30" y="${40 + i * lh}" font-family="DejaVu Sans" font-size="${font}"${i === 0 ? ' font-weight="bold"' : ''}>${esc(l)}</text>`).join('');
  return sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="${h}"><rect width="100%" height="100%" fill="white"/>${body}</svg>`)).png().toBuffer();
}
