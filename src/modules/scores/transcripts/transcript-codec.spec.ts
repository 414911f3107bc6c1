import { gunzipSync } from 'node:zlib';
import { compress, decodeTranscript, GZIP_IN_PLACE_MAX_BYTES } from './transcript-codec';

describe('transcript codec: compress', () => {
  it.each([
    ['a small text (compressed in place)', 'grade this trace: ü '.repeat(50)],
    ['a text over the in-place limit (thread pool)', 'x'.repeat(GZIP_IN_PLACE_MAX_BYTES + 1)],
  ])('stores %s as gzip that reads back', async (_, text) => {
    const blob = await compress('h', text);
    expect(blob).toMatchObject({ hash: 'h', chars: text.length });
    expect(gunzipSync(blob.body).toString('utf8')).toBe(text);
    const [attempt] = decodeTranscript(
      [{ system: 'h', prompt: 'h', answer: null } as never],
      new Map([['h', blob.body]]),
    );
    expect(attempt.prompt).toBe(text);
  });
});
