// Playback streamed from the vault. WebKitGTK's player cannot load a custom URL scheme, so the
// page feeds it through Media Source Extensions: the shell decrypts the attachment piece by
// piece (`read_media`), and each piece is appended to the player's buffer as it arrives, so
// playback starts after the first piece. Formats MSE cannot take are gathered into one
// in-memory Blob instead (still read piece by piece; never written to disk).
import { media, type MediaInfo } from './api';

export type { MediaInfo };

/** Reads the piece of an opened attachment that starts at `offset` (empty at the end). */
export type PieceReader = (offset: number) => Promise<Uint8Array>;

export const openMedia = media.open;

export function shellReader(token: string): PieceReader {
  return (offset) => media.read(token, offset);
}

/** The MSE type of a stored media type (the recorder's codecs), or null. */
export function sourceBufferType(mediaType: string): string | null {
  switch (mediaType) {
    case 'audio/mp4':
      return 'audio/mp4; codecs="mp4a.40.2"';
    case 'audio/webm':
      return 'audio/webm; codecs="opus"';
    default:
      return null;
  }
}

/** Every piece of the attachment, in order, until `size` bytes were read. */
export async function* pieces(read: PieceReader, size: number): AsyncGenerator<Uint8Array> {
  let offset = 0;
  while (offset < size) {
    const piece = await read(offset);
    if (piece.length === 0) throw { code: 'vault_damaged', message: 'the attachment ended early' };
    offset += piece.length;
    yield piece;
  }
}

/** A URL for an `<audio>` element that plays the attachment; `stop` ends the feeding. */
export async function playbackSource(info: MediaInfo, read: PieceReader, onError: (error: unknown) => void): Promise<{ url: string; stop: () => void }> {
  let stopped = false;
  const type = sourceBufferType(info.media_type);
  if (typeof MediaSource === 'undefined' || !type || !MediaSource.isTypeSupported(type)) {
    const parts: Uint8Array[] = [];
    for await (const piece of pieces(read, info.size)) parts.push(piece);
    const url = URL.createObjectURL(new Blob(parts as BlobPart[], { type: info.media_type }));
    return { url, stop: () => URL.revokeObjectURL(url) };
  }
  const source = new MediaSource();
  const url = URL.createObjectURL(source);
  source.addEventListener(
    'sourceopen',
    async () => {
      try {
        const buffer = source.addSourceBuffer(type);
        for await (const piece of pieces(read, info.size)) {
          if (stopped) return;
          buffer.appendBuffer(piece as BufferSource);
          await new Promise((resolve) => buffer.addEventListener('updateend', resolve, { once: true }));
        }
        if (!stopped) source.endOfStream();
      } catch (error) {
        if (!stopped) onError(error);
      }
    },
    { once: true },
  );
  return {
    url,
    stop: () => {
      stopped = true;
      URL.revokeObjectURL(url);
    },
  };
}
