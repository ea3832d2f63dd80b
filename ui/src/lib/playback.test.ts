import { describe, expect, it } from 'vitest';
import { pieces, playbackSource, sourceBufferType } from './playback';

const reader = (data: Uint8Array, step: number) => async (offset: number) => data.slice(offset, offset + step);

describe('playback', () => {
  it('reads every piece in order until the size is reached', async () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    const got: number[] = [];
    for await (const piece of pieces(reader(data, 300), data.length)) got.push(...piece);
    expect(got).toEqual(Array.from(data));
  });

  it('refuses an attachment that ends before its size', async () => {
    const short = new Uint8Array(100);
    const read = async () => {
      for await (const _ of pieces(reader(short, 64), 500)) void _;
    };
    await expect(read()).rejects.toMatchObject({ code: 'vault_damaged' });
  });

  it('maps stored media types to what Media Source Extensions take', () => {
    expect(sourceBufferType('audio/mp4')).toBe('audio/mp4; codecs="mp4a.40.2"');
    expect(sourceBufferType('audio/webm')).toBe('audio/webm; codecs="opus"');
    expect(sourceBufferType('audio/ogg')).toBeNull();
  });

  it('without Media Source Extensions, plays one in-memory blob of every piece', async () => {
    const data = new Uint8Array([1, 2, 3, 4, 5]);
    const created: Blob[] = [];
    URL.createObjectURL = (blob: Blob) => {
      created.push(blob);
      return 'blob:test';
    };
    URL.revokeObjectURL = () => {};
    const source = await playbackSource({ token: 't', media_type: 'audio/ogg', size: 5 }, reader(data, 2), () => {});
    expect(source.url).toBe('blob:test');
    expect(created[0].size).toBe(5);
    expect(created[0].type).toBe('audio/ogg');
  });
});
