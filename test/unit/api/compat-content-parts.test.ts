// The compatible rerank APIs' content parts (OpenAI style `{type: image_url, image_url: {url}}`, or
// `{type: image, image: url}`; the same for video): one image and one video per item, each refused
// by name when it is missing its URL or given twice.
import { describe, it, expect } from 'vitest';
import { compatItem } from '../../../src/api/rerank.js';

function refusal(x: unknown): { reason: string; field: unknown } {
  try {
    compatItem(x, 'documents[0]');
  } catch (e) {
    return { reason: (e as Error).message, field: (e as { details?: { field?: unknown } }).details?.field };
  }
  throw new Error('accepted');
}

describe('compat content parts', () => {
  it('reads text, an image and a video, in both spellings', () => {
    expect(compatItem({ content: [{ type: 'text', text: 'a' }, { type: 'image_url', image_url: { url: 'i.jpg' } }, { type: 'video', video: 'v.mp4' }, { type: 'text', text: 'b' }] }, 'q')).toEqual({
      text: 'a\nb',
      image: 'i.jpg',
      video: 'v.mp4',
    });
    expect(compatItem({ content: [{ type: 'image', image: 'i.jpg' }, { type: 'video_url', video_url: { url: 'v.mp4' } }] }, 'q')).toEqual({ image: 'i.jpg', video: 'v.mp4' });
  });

  it('names the part that lacks its URL', () => {
    expect(refusal({ content: [{ type: 'text', text: 'x' }, { type: 'image_url', image_url: {} }] })).toEqual({
      reason: '[documents[0].content[1].image_url.url] must be a string',
      field: 'documents[0].content[1].image_url.url',
    });
    expect(refusal({ content: [{ type: 'video', video: 3 }] })).toEqual({ reason: '[documents[0].content[0].video_url.url] must be a string', field: 'documents[0].content[0].video_url.url' });
  });

  it('refuses a second image or a second video in one item', () => {
    expect(refusal({ content: [{ type: 'image', image: 'a.jpg' }, { type: 'image_url', image_url: { url: 'b.jpg' } }] })).toEqual({
      reason: '[documents[0].content[1]] only one image per item is supported',
      field: 'documents[0].content[1]',
    });
    expect(refusal({ content: [{ type: 'video_url', video_url: 'a.mp4' }, { type: 'image', image: 'i.jpg' }, { type: 'video', video: 'b.mp4' }] })).toEqual({
      reason: '[documents[0].content[2]] only one video per item is supported',
      field: 'documents[0].content[2]',
    });
  });
});
