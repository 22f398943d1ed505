/**
 * The object a media URL names, for its validators (held-out probe round 14d): signing parameters
 * of presigned/signed URLs are dropped only when the URL carries a signature; every parameter that
 * can name another object or representation stays.
 */
import { describe, expect, it } from 'vitest';
import { KnownMedia, urlIdentity } from '../../../src/features/known-media.js';

const s3 = (sig: string, extra = '') => `https://bucket.s3.amazonaws.com/p/a.jpg?${extra}X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261205%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261205T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=tok&X-Amz-Signature=${sig}`;

describe('urlIdentity', () => {
  it('the same object under two signatures is one identity (S3/MinIO, GCS, CloudFront, Azure SAS)', () => {
    expect(urlIdentity(s3('aa'))).toBe(urlIdentity(s3('bb')));
    expect(urlIdentity(s3('aa'))).toBe('https://bucket.s3.amazonaws.com/p/a.jpg');
    const gcs = (s: string) => `https://storage.googleapis.com/b/a.jpg?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=x&X-Goog-Date=20261205T000000Z&X-Goog-Expires=900&X-Goog-SignedHeaders=host&X-Goog-Signature=${s}`;
    expect(urlIdentity(gcs('1'))).toBe(urlIdentity(gcs('2')));
    const cf = (e: number) => `https://d111.cloudfront.net/a.jpg?Expires=${e}&Signature=abc${e}&Key-Pair-Id=K2JCJMDEHXQW5F`;
    expect(urlIdentity(cf(1))).toBe(urlIdentity(cf(2)));
    const sas = (se: string) => `https://acct.blob.core.windows.net/c/a.jpg?sv=2022-11-02&sp=r&se=${se}&sr=b&sig=${se}x`;
    expect(urlIdentity(sas('2026-12-05'))).toBe('https://acct.blob.core.windows.net/c/a.jpg');
    expect(urlIdentity(sas('2026-12-05'))).toBe(urlIdentity(sas('2026-12-06')));
  });

  it('parameters that name another object or representation stay: versionId, a transform, another path', () => {
    expect(urlIdentity(s3('aa', 'versionId=1&'))).not.toBe(urlIdentity(s3('aa', 'versionId=2&')));
    expect(urlIdentity(s3('aa', 'w=200&'))).not.toBe(urlIdentity(s3('aa')));
    expect(urlIdentity(s3('aa').replace('/a.jpg', '/b.jpg'))).not.toBe(urlIdentity(s3('aa')));
  });

  it('a URL without a signature is its own identity (an `sp` or `Expires` of an ordinary query is not dropped)', () => {
    for (const u of ['https://x.example/a.jpg', 'https://x.example/a.jpg?Expires=1', 'https://x.example/img?sp=3&st=4', 'not a url']) expect(urlIdentity(u)).toBe(u);
  });

  it('KnownMedia: validators kept under one signature are found under another, never under another object', () => {
    const k = new KnownMedia();
    k.rememberUrl(s3('aa'), { etag: '"e"', contentHash: 'h' });
    expect(k.url(s3('bb'))).toEqual({ etag: '"e"', lastModified: undefined, contentHash: 'h' });
    expect(k.url(s3('bb', 'versionId=2&'))).toBeUndefined();
    expect(k.url('https://bucket.s3.amazonaws.com/p/a.jpg?other=1')).toBeUndefined();
  });
});
