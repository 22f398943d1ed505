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
