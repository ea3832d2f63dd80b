//! Store-and-forward bundles (DESIGN §5): one file (or a few parts) that a USB stick carries from
//! one device to others, readable only by the devices it is addressed to, signed by its sender,
//! and revealing nothing but its (padded) size to whoever holds the stick.
//!
//! Format v1 (no plaintext magic, name, id, count or date anywhere):
//!
//! ```text
//! file     = stanza_0 ‖ … ‖ stanza_{n-1} ‖ payload            (1 ≤ n ≤ MAX_BUNDLE_RECIPIENTS)
//! stanza   = [32] ephemeral X25519 public key (top bit randomised)
//!            ‖ XChaCha20-Poly1305(K_s, N_s, u8 version (1) ‖ u32 LE n ‖ [32] file key)  (53 bytes)
//!            K_s ‖ N_s = HKDF-SHA256(salt = ephemeral ‖ recipient, ikm = X25519, "cairn/bundle/stanza/v1")
//! payload  = STREAM (XChaCha20-Poly1305, 64 KiB plaintext chunks, BE32 counter, last-chunk flag)
//!            key ‖ nonce prefix = HKDF-SHA256(ikm = file key, "cairn/bundle/payload/v1")
//!            AAD of every chunk = SHA-256(all stanzas)
//! plaintext = [16] sender device id ‖ u64 LE counter ‖ u32 LE item count
//!            ‖ items (u8 kind ‖ u32 LE length ‖ bytes) ‖ [64] signature ‖ zero padding
//! signature = Ed25519 (purpose BundleManifest) over the manifest:
//!            SHA-256(all stanzas) ‖ sender ‖ counter ‖ item count ‖ (kind ‖ length ‖ SHA-256(bytes))*
//! ```
//!
//! Every stanza has the same size and, without the recipient's key, looks random (the AEAD
//! output is; the ephemeral key's unused top bit is randomised). A recipient finds its stanza
//! by trial, in order; the stanza tells how many there are, so where the payload starts. The
//! padding makes the whole bundle a Padmé length, so its size leaks O(log log L) bits beyond its
//! magnitude. The signature covers the recipient header, so one recipient cannot re-address
//! or alter content for another, and the AAD binds every chunk to the header, so a swapped
//! stanza or a chunk from another bundle fails.
//!
//! **Streaming.** [`BundleWriter`] seals items one at a time (memory: one chunk, the item being
//! written and 37 bytes of manifest per item). A bundle longer than a part (FAT32 holds files
//! below 4 GiB, [`MAX_BUNDLE_PART_LEN`]) is cut into parts on sealed-chunk boundaries: part 0
//! is the stanzas and the first sealed chunks, every later part sealed chunks only, so a part
//! carries nothing that names the bundle or its place in it. A reader finds the continuation of
//! a part whose last chunk lacks the last-chunk flag by trial-decrypting the first chunk of
//! the other candidate files at the next position ([`open_bundle_stream`]).
//!
//! Reading takes two passes over the files, never holding more than one chunk and one item
//! (at most [`MAX_BUNDLE_ITEM_LEN`]): pass 1 authenticates every chunk, parses and hashes every
//! item, and checks the padding and the last-chunk flag ([`UnverifiedBundleStream`]); the caller
//! checks the signature ([`UnverifiedBundleStream::verify`]); pass 2
//! ([`VerifiedBundleStream::items`]) reads the items again, one at a time, each compared with the
//! signed manifest before it is handed out, so a file changed between the passes stops the
//! reader at the first difference.
//!
//! No I/O here: the caller gives [`std::io::Write`] sinks ([`BundlePartSink`]) and
//! [`std::io::Read`] sources ([`BundleFiles`]).

use std::io::{self, Cursor, Read, Write};

use aead_stream::{NewStream, StreamBE32, StreamPrimitive};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce, aead::Aead};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{
    AgreementPublicKey, AgreementSecretKey, CryptoError, DeviceWrapKey, SIGNATURE_LEN, Signature, SignaturePurpose,
    SigningPublicKey, SigningSecretKey, padding::padded_len, random_array, team_key::hkdf_expand,
};

/// Bytes of one recipient stanza.
pub const BUNDLE_STANZA_LEN: usize = 32 + 1 + 4 + 32 + 16;
/// At most this many recipients per bundle (bounds the trial decryptions of a reader).
pub const MAX_BUNDLE_RECIPIENTS: usize = 64;
/// Plaintext bytes per payload chunk (64 KiB).
pub const BUNDLE_CHUNK_LEN: usize = 64 * 1024;
/// Bytes of one sealed payload chunk (its plaintext and tag); every part of a split bundle is
/// cut on a sealed-chunk boundary.
pub const BUNDLE_SEALED_CHUNK_LEN: usize = BUNDLE_CHUNK_LEN + TAG_LEN;
/// At most this many items in one bundle (bounds the manifest a reader keeps: 37 bytes each).
pub const MAX_BUNDLE_ITEMS: usize = 1 << 20;
/// At most this many bytes in one item: a reader holds one item at a time, so this bounds its
/// memory; a longer item is refused as malformed.
pub const MAX_BUNDLE_ITEM_LEN: usize = 32 * 1024 * 1024;
/// The longest part file a bundle is written in: FAT32 (what most sticks are formatted with)
/// holds files of at most 4 GiB − 1 bytes. A part holds as many whole sealed chunks as fit.
pub const MAX_BUNDLE_PART_LEN: u64 = u32::MAX as u64;

const FORMAT_V1: u8 = 1;
const TAG_LEN: usize = 16;
const FIXED_LEN: usize = 16 + 8 + 4;
const ITEM_HEADER_LEN: usize = 1 + 4;
const MANIFEST_ENTRY_LEN: usize = 1 + 4 + 32;
const MANIFEST_FIXED_LEN: usize = 32 + FIXED_LEN;
const HEADER_MAX_LEN: usize = MAX_BUNDLE_RECIPIENTS * BUNDLE_STANZA_LEN;

type Stream = StreamBE32<XChaCha20Poly1305>;

/// One item of a bundle: a kind the caller defines and its bytes (opaque here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleItem {
    /// What the bytes are (defined by the caller, `cairn-core`).
    pub kind: u8,
    /// The item itself.
    pub bytes: Vec<u8>,
}

/// Who seals a bundle: its device id, its signing key and its counter for this bundle.
pub struct BundleSender<'a> {
    /// The sender's device id.
    pub device_id: [u8; 16],
    /// The sender's device signing key.
    pub signing: &'a SigningSecretKey,
    /// The sender's counter, higher for every bundle it makes.
    pub counter: u64,
}

/// Why a streamed bundle could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleStreamError {
    /// A file could not be read or written (the stick, not the bundle).
    #[error("a bundle file could not be read or written")]
    Io(#[source] io::Error),
    /// The bytes are damaged, altered or not a well-formed bundle, or too large.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The last part read does not end the bundle and no candidate file continues it: a part
    /// is truncated, or was not copied.
    #[error("a part of the bundle is missing or truncated")]
    MissingPart,
    /// A file changed between verifying the bundle and reading its items.
    #[error("a bundle file changed while it was being read")]
    Changed,
}

impl From<io::Error> for BundleStreamError {
    fn from(error: io::Error) -> Self {
        BundleStreamError::Io(error)
    }
}

impl BundleStreamError {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            BundleStreamError::Io(_) => "io",
            BundleStreamError::Crypto(error) => error.code(),
            BundleStreamError::MissingPart => "missing_part",
            BundleStreamError::Changed => "changed",
        }
    }
}

/// Where a [`BundleWriter`] puts its parts: it starts part 0, writes it whole, hands it back,
/// then part 1, and so on. A sink that keeps each part in a temporary file and puts them all
/// in place after [`BundleWriter::finish`] never leaves a mix of two bundles' parts.
pub trait BundlePartSink {
    /// The writer of one part.
    type Part: Write;
    /// Starts part `index` (0 first, then 1, 2, …).
    fn start_part(&mut self, index: u32) -> io::Result<Self::Part>;
    /// Part `index` is complete: every byte of it was written to `part`.
    fn end_part(&mut self, index: u32, part: Self::Part) -> io::Result<()>;
}

/// Parts kept in memory, in order (tests and small bundles).
impl BundlePartSink for Vec<Vec<u8>> {
    type Part = Vec<u8>;

    fn start_part(&mut self, _index: u32) -> io::Result<Vec<u8>> {
        Ok(Vec::new())
    }

    fn end_part(&mut self, _index: u32, part: Vec<u8>) -> io::Result<()> {
        self.push(part);
        Ok(())
    }
}

/// The candidate files a bundle is read from (for example every file of a folder), each of
/// which a reader may open several times, always from its first byte.
pub trait BundleFiles {
    /// A reader of one file.
    type File<'a>: Read
    where
        Self: 'a;
    /// How many candidate files there are.
    fn count(&self) -> usize;
    /// Opens candidate `index` (below [`BundleFiles::count`]) at its first byte.
    fn open(&self, index: usize) -> io::Result<Self::File<'_>>;
}

/// Files held in memory (tests, fuzzing, one file read whole).
impl<T: AsRef<[u8]>> BundleFiles for [T] {
    type File<'a>
        = &'a [u8]
    where
        T: 'a;

    fn count(&self) -> usize {
        self.len()
    }

    fn open(&self, index: usize) -> io::Result<&[u8]> {
        self.get(index).map(AsRef::as_ref).ok_or_else(|| io::ErrorKind::NotFound.into())
    }
}

/// How much of a bundle was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundleWritten {
    /// How many parts (1 unless the bundle is longer than the largest part).
    pub parts: u32,
    /// Bytes over all parts.
    pub len: u64,
}

const STANZA_LABEL: &[u8] = b"cairn/bundle/stanza/v1";

/// The key and nonce of an age-style recipient stanza (bundles and sealed values, each under
/// its own `label`): HKDF of the X25519 secret, salted with both public keys.
pub(crate) fn stanza_cipher(
    label: &[u8],
    shared: &[u8; 32],
    ephemeral: &AgreementPublicKey,
    recipient: &AgreementPublicKey,
) -> (XChaCha20Poly1305, XNonce) {
    let salt = [ephemeral.as_bytes().as_slice(), recipient.as_bytes()].concat();
    let okm = hkdf_expand::<56>(Some(&salt), shared, label);
    let key: &[u8; 32] = (&okm[..32]).try_into().expect("32 bytes");
    let cipher = XChaCha20Poly1305::new(key.into());
    let nonce = XNonce::try_from(&okm[32..]).expect("24 bytes");
    (cipher, nonce)
}

fn payload_stream(file_key: &[u8; 32]) -> Stream {
    let okm = hkdf_expand::<51>(None, file_key, b"cairn/bundle/payload/v1");
    let key: &[u8; 32] = (&okm[..32]).try_into().expect("32 bytes");
    let cipher = XChaCha20Poly1305::new(key.into());
    let prefix = (&okm[32..]).try_into().expect("19 bytes");
    Stream::from_aead(cipher, prefix)
}

/// The manifest's fixed start; the entries (kind ‖ length ‖ SHA-256) follow.
fn manifest_start(header_hash: &[u8; 32], sender: &[u8; 16], counter: u64, count: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(MANIFEST_FIXED_LEN + (count as usize).min(4096) * MANIFEST_ENTRY_LEN);
    out.extend_from_slice(header_hash);
    out.extend_from_slice(sender);
    out.extend_from_slice(&counter.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out
}

fn chunk_count(plain_len: usize) -> usize {
    plain_len.div_ceil(BUNDLE_CHUNK_LEN).max(1)
}

/// The plaintext length that makes the whole bundle (header, plaintext, tags) a Padmé length.
fn padded_plain_len(header_len: usize, plain_len: usize) -> usize {
    let raw = header_len + plain_len + TAG_LEN * chunk_count(plain_len);
    let mut target = padded_len(raw);
    loop {
        // The tag count depends on the plaintext length, so try the chunk counts around it.
        let body = target - header_len;
        let guess = body.div_ceil(BUNDLE_CHUNK_LEN + TAG_LEN).max(1);
        for chunks in [guess, guess + 1] {
            if let Some(plain) = body.checked_sub(TAG_LEN * chunks)
                && plain >= plain_len
                && chunk_count(plain) == chunks
            {
                return plain;
            }
        }
        target += 1;
    }
}

/// Seals a bundle item by item into one or more parts (see the module documentation):
/// [`BundleWriter::new`], then [`BundleWriter::write_item`] exactly `item_count` times, then
/// [`BundleWriter::finish`], which writes the signature, the padding and the last chunk.
///
/// Memory: one chunk, plus 37 bytes of manifest per item. The chunk being filled is always held
/// back until it is known whether more follows (the last one carries the last-chunk flag).
/// After an error the writer is spent: drop it (and the parts its sink started).
pub struct BundleWriter<'a, S: BundlePartSink> {
    sink: S,
    signing: &'a SigningSecretKey,
    stream: Stream,
    header_hash: [u8; 32],
    header_len: usize,
    max_part_len: u64,
    part: Option<S::Part>,
    part_index: u32,
    part_len: u64,
    total_len: u64,
    plain: Zeroizing<Vec<u8>>,
    sealed: Vec<u8>,
    position: u32,
    plain_len: u64,
    manifest: Vec<u8>,
    items_left: usize,
}

impl<S: BundlePartSink> std::fmt::Debug for BundleWriter<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleWriter").field("part_index", &self.part_index).finish_non_exhaustive()
    }
}

impl<'a, S: BundlePartSink> BundleWriter<'a, S> {
    /// Starts a bundle of `item_count` items for `recipients` (their device agreement keys),
    /// signed by `sender`, written into `sink` in parts of at most `max_part_len` bytes
    /// ([`MAX_BUNDLE_PART_LEN`] for a stick; `u64::MAX` for one part). Part 0 is started and
    /// its stanzas written at once.
    pub fn new(
        sink: S,
        recipients: &[AgreementPublicKey],
        sender: &BundleSender<'a>,
        item_count: usize,
        max_part_len: u64,
    ) -> Result<Self, BundleStreamError> {
        let file_key = Zeroizing::new(random_array::<32>());
        let ephemerals: Vec<Zeroizing<[u8; 32]>> = recipients.iter().map(|_| Zeroizing::new(random_array())).collect();
        let top_bits: Vec<u8> = recipients.iter().map(|_| random_array::<1>()[0] & 0x80).collect();
        Self::with_randomness(sink, recipients, sender, item_count, max_part_len, &file_key, &ephemerals, &top_bits)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn with_randomness(
        mut sink: S,
        recipients: &[AgreementPublicKey],
        sender: &BundleSender<'a>,
        item_count: usize,
        max_part_len: u64,
        file_key: &[u8; 32],
        ephemerals: &[Zeroizing<[u8; 32]>],
        top_bits: &[u8],
    ) -> Result<Self, BundleStreamError> {
        if recipients.is_empty() || recipients.len() > MAX_BUNDLE_RECIPIENTS {
            return Err(CryptoError::Malformed { what: "bundle recipients" }.into());
        }
        if item_count > MAX_BUNDLE_ITEMS {
            return Err(CryptoError::TooLarge { what: "bundle" }.into());
        }
        let mut header = Vec::with_capacity(recipients.len() * BUNDLE_STANZA_LEN);
        for ((recipient, ephemeral), top_bit) in recipients.iter().zip(ephemerals).zip(top_bits) {
            let ephemeral = AgreementSecretKey::from_bytes(ephemeral);
            let ephemeral_public = ephemeral.public_key();
            let shared = ephemeral.diffie_hellman(recipient)?;
            let (cipher, nonce) = stanza_cipher(STANZA_LABEL, &shared, &ephemeral_public, recipient);
            let mut body = Zeroizing::new(Vec::with_capacity(37));
            body.push(FORMAT_V1);
            body.extend_from_slice(&(recipients.len() as u32).to_le_bytes());
            body.extend_from_slice(file_key);
            let sealed = cipher.encrypt(&nonce, body.as_slice()).map_err(|_| CryptoError::TooLarge { what: "bundle" })?;
            let mut public = ephemeral_public.to_bytes();
            public[31] |= top_bit & 0x80;
            header.extend_from_slice(&public);
            header.extend_from_slice(&sealed);
        }
        if max_part_len < (header.len() + BUNDLE_SEALED_CHUNK_LEN) as u64 {
            return Err(CryptoError::Malformed { what: "bundle part length" }.into());
        }
        let header_hash: [u8; 32] = Sha256::digest(&header).into();
        let count = item_count as u32;
        let mut part = sink.start_part(0)?;
        part.write_all(&header)?;
        let mut writer = BundleWriter {
            sink,
            signing: sender.signing,
            stream: payload_stream(file_key),
            header_hash,
            header_len: header.len(),
            max_part_len,
            part: Some(part),
            part_index: 0,
            part_len: header.len() as u64,
            total_len: header.len() as u64,
            plain: Zeroizing::new(Vec::with_capacity(BUNDLE_SEALED_CHUNK_LEN)),
            sealed: Vec::with_capacity(BUNDLE_SEALED_CHUNK_LEN),
            position: 0,
            plain_len: 0,
            manifest: manifest_start(&header_hash, &sender.device_id, sender.counter, count),
            items_left: item_count,
        };
        writer.push(&sender.device_id)?;
        writer.push(&sender.counter.to_le_bytes())?;
        writer.push(&count.to_le_bytes())?;
        Ok(writer)
    }

    /// Adds the next item (at most [`MAX_BUNDLE_ITEM_LEN`] bytes).
    pub fn write_item(&mut self, kind: u8, bytes: &[u8]) -> Result<(), BundleStreamError> {
        if self.items_left == 0 {
            return Err(CryptoError::Malformed { what: "bundle item count" }.into());
        }
        if bytes.len() > MAX_BUNDLE_ITEM_LEN {
            return Err(CryptoError::TooLarge { what: "bundle item" }.into());
        }
        let len = bytes.len() as u32;
        self.items_left -= 1;
        self.manifest.push(kind);
        self.manifest.extend_from_slice(&len.to_le_bytes());
        self.manifest.extend_from_slice(&Sha256::digest(bytes));
        self.push(&[kind])?;
        self.push(&len.to_le_bytes())?;
        self.push(bytes)
    }

    /// Writes the signature, the padding and the last chunk, and ends the last part; returns
    /// the sink and what was written. Fails if fewer items were written than announced.
    pub fn finish(mut self) -> Result<(S, BundleWritten), BundleStreamError> {
        if self.items_left != 0 {
            return Err(CryptoError::Malformed { what: "bundle item count" }.into());
        }
        let signature = self.signing.sign(SignaturePurpose::BundleManifest, &self.manifest);
        self.push(&signature.to_bytes())?;
        let plain_len = usize::try_from(self.plain_len).map_err(|_| CryptoError::TooLarge { what: "bundle" })?;
        let mut padding = (padded_plain_len(self.header_len, plain_len) - plain_len) as u64;
        let zeros = [0u8; 4096];
        while padding > 0 {
            let take = padding.min(zeros.len() as u64) as usize;
            self.push(&zeros[..take])?;
            padding -= take as u64;
        }
        self.seal_chunk(true)?;
        let part = self.part.take().ok_or(CryptoError::Malformed { what: "bundle writer" })?;
        self.sink.end_part(self.part_index, part)?;
        let written = BundleWritten { parts: self.part_index + 1, len: self.total_len };
        Ok((self.sink, written))
    }

    /// Adds plaintext, sealing every chunk once it is full and more follows.
    fn push(&mut self, mut data: &[u8]) -> Result<(), BundleStreamError> {
        while !data.is_empty() {
            if self.plain.len() == BUNDLE_CHUNK_LEN {
                self.seal_chunk(false)?;
            }
            let take = (BUNDLE_CHUNK_LEN - self.plain.len()).min(data.len());
            self.plain.extend_from_slice(&data[..take]);
            self.plain_len += take as u64;
            data = &data[take..];
        }
        Ok(())
    }

    fn seal_chunk(&mut self, last: bool) -> Result<(), BundleStreamError> {
        self.sealed.clear();
        self.sealed.extend_from_slice(&self.plain);
        self.plain.clear();
        self.stream
            .encrypt_in_place(self.position, last, &self.header_hash, &mut self.sealed)
            .map_err(|_| CryptoError::TooLarge { what: "bundle" })?;
        let len = self.sealed.len() as u64;
        if self.part_len + len > self.max_part_len {
            let full = self.part.take().ok_or(CryptoError::Malformed { what: "bundle writer" })?;
            self.sink.end_part(self.part_index, full)?;
            self.part_index += 1;
            self.part = Some(self.sink.start_part(self.part_index)?);
            self.part_len = 0;
        }
        self.part.as_mut().ok_or(CryptoError::Malformed { what: "bundle writer" })?.write_all(&self.sealed)?;
        self.part_len += len;
        self.total_len += len;
        if !last {
            self.position = self.position.checked_add(1).ok_or(CryptoError::TooLarge { what: "bundle" })?;
        }
        Ok(())
    }
}

/// Seals `items` for `recipients` (their device agreement keys), signed by `sender`, into one
/// file in memory (see [`BundleWriter`] for bundles of any size).
pub fn seal_bundle(
    recipients: &[AgreementPublicKey],
    sender: &BundleSender<'_>,
    items: &[BundleItem],
) -> Result<Vec<u8>, CryptoError> {
    let writer = BundleWriter::new(Vec::new(), recipients, sender, items.len(), u64::MAX).map_err(flatten)?;
    write_whole(writer, items)
}

#[cfg(test)]
pub(crate) fn seal_bundle_with(
    recipients: &[AgreementPublicKey],
    sender: &BundleSender<'_>,
    items: &[BundleItem],
    file_key: &[u8; 32],
    ephemerals: &[Zeroizing<[u8; 32]>],
    top_bits: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let writer =
        BundleWriter::with_randomness(Vec::new(), recipients, sender, items.len(), u64::MAX, file_key, ephemerals, top_bits)
            .map_err(flatten)?;
    write_whole(writer, items)
}

fn write_whole(mut writer: BundleWriter<'_, Vec<Vec<u8>>>, items: &[BundleItem]) -> Result<Vec<u8>, CryptoError> {
    for item in items {
        writer.write_item(item.kind, &item.bytes).map_err(flatten)?;
    }
    let (mut parts, _) = writer.finish().map_err(flatten)?;
    Ok(parts.pop().unwrap_or_default())
}

/// An in-memory bundle's error as a [`CryptoError`] (memory never fails to read; one file never
/// has a missing part but a truncated one).
fn flatten(error: BundleStreamError) -> CryptoError {
    match error {
        BundleStreamError::Crypto(error) => error,
        BundleStreamError::MissingPart | BundleStreamError::Io(_) => CryptoError::Malformed { what: "bundle" },
        BundleStreamError::Changed => CryptoError::Tampered,
    }
}

/// Finds this device's stanza: the file key and the header length, or `None` when the bundle
/// is not addressed to `recipient` (or is not a bundle: the two are indistinguishable).
fn find_stanza(recipient: &AgreementSecretKey, bytes: &[u8]) -> Option<(Zeroizing<[u8; 32]>, usize)> {
    let public = recipient.public_key();
    for index in 0..MAX_BUNDLE_RECIPIENTS {
        let Some(stanza) = bytes.get(index * BUNDLE_STANZA_LEN..(index + 1) * BUNDLE_STANZA_LEN) else { break };
        let mut ephemeral: [u8; 32] = stanza[..32].try_into().expect("32 bytes");
        ephemeral[31] &= 0x7f;
        let Ok(ephemeral) = AgreementPublicKey::from_bytes(ephemeral) else { continue };
        let Ok(shared) = recipient.diffie_hellman(&ephemeral) else { continue };
        let (cipher, nonce) = stanza_cipher(STANZA_LABEL, &shared, &ephemeral, &public);
        let Ok(body) = cipher.decrypt(&nonce, &stanza[32..]) else { continue };
        let body = Zeroizing::new(body);
        if body.len() != 37 || body[0] != FORMAT_V1 {
            continue;
        }
        let count = u32::from_le_bytes(body[1..5].try_into().expect("4 bytes")) as usize;
        if count == 0 || count > MAX_BUNDLE_RECIPIENTS || index >= count {
            continue;
        }
        let mut file_key = Zeroizing::new([0u8; 32]);
        file_key.copy_from_slice(&body[5..]);
        return Some((file_key, count * BUNDLE_STANZA_LEN));
    }
    None
}

/// Reads up to `limit` bytes (fewer only at the end of the file) into `out`.
fn read_up_to(reader: &mut impl Read, out: &mut Vec<u8>, limit: usize) -> io::Result<()> {
    let start = out.len();
    out.resize(start + limit, 0);
    let mut filled = start;
    while filled < out.len() {
        match reader.read(&mut out[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => {
                out.truncate(filled);
                return Err(error);
            }
        }
    }
    out.truncate(filled);
    Ok(())
}

/// One part file, read one sealed chunk at a time, knowing whether the file ends after it.
struct PartReader<R> {
    inner: R,
    peeked: Option<u8>,
}

impl<R: Read> PartReader<R> {
    fn new(inner: R) -> Self {
        PartReader { inner, peeked: None }
    }

    /// Reads the next sealed chunk (up to [`BUNDLE_SEALED_CHUNK_LEN`] bytes) into `out`; true
    /// when the file ends right after it.
    fn next_chunk(&mut self, out: &mut Vec<u8>) -> io::Result<bool> {
        out.clear();
        out.extend(self.peeked.take());
        let want = BUNDLE_SEALED_CHUNK_LEN - out.len();
        read_up_to(&mut self.inner, out, want)?;
        if out.len() < BUNDLE_SEALED_CHUNK_LEN {
            return Ok(true);
        }
        let mut one = Vec::with_capacity(1);
        read_up_to(&mut self.inner, &mut one, 1)?;
        self.peeked = one.first().copied();
        Ok(self.peeked.is_none())
    }
}

/// One part of a bundle as pass 1 found it: which candidate file, how many sealed chunks, and
/// how many bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PartInfo {
    file: usize,
    chunks: u32,
    len: u64,
}

type Source<'f, F> = io::Chain<Cursor<Vec<u8>>, <F as BundleFiles>::File<'f>>;

/// The plaintext of a bundle's payload, chunk by chunk over its parts. Pass 1 (`discover`)
/// finds each next part among the candidates; pass 2 (`replay`) reads the parts pass 1 found
/// and expects exactly what it saw.
struct PlainStream<'f, F: BundleFiles + ?Sized> {
    files: &'f F,
    cipher: Stream,
    header_hash: [u8; 32],
    header_len: usize,
    reader: Option<PartReader<Source<'f, F>>>,
    parts: Vec<PartInfo>,
    replay: bool,
    /// Pass 2: the index in `parts` of the part being read, and its chunks read so far.
    part: usize,
    chunks_in_part: u32,
    position: u32,
    ended: bool,
    sealed: Vec<u8>,
    plain: Zeroizing<Vec<u8>>,
    offset: usize,
}

impl<'f, F: BundleFiles + ?Sized> PlainStream<'f, F> {
    fn new(files: &'f F, file_key: &[u8; 32], header_hash: [u8; 32], header_len: usize) -> Self {
        PlainStream {
            files,
            cipher: payload_stream(file_key),
            header_hash,
            header_len,
            reader: None,
            parts: Vec::new(),
            replay: false,
            part: 0,
            chunks_in_part: 0,
            position: 0,
            ended: false,
            sealed: Vec::with_capacity(BUNDLE_SEALED_CHUNK_LEN),
            plain: Zeroizing::new(Vec::with_capacity(BUNDLE_SEALED_CHUNK_LEN)),
            offset: 0,
        }
    }

    /// What a stream that ends too early is: damage in pass 1, a changed file in pass 2.
    fn short(&self) -> BundleStreamError {
        if self.replay { BundleStreamError::Changed } else { CryptoError::Malformed { what: "bundle contents" }.into() }
    }

    /// Up to `max` next plaintext bytes; empty only at the end of the stream.
    fn take(&mut self, max: usize) -> Result<&[u8], BundleStreamError> {
        while self.offset == self.plain.len() {
            if self.ended {
                return Ok(&[]);
            }
            self.next_chunk()?;
        }
        let end = self.plain.len().min(self.offset.saturating_add(max));
        let start = std::mem::replace(&mut self.offset, end);
        Ok(&self.plain[start..end])
    }

    fn read_exact(&mut self, out: &mut [u8]) -> Result<(), BundleStreamError> {
        let mut filled = 0;
        while filled < out.len() {
            let piece = self.take(out.len() - filled)?;
            if piece.is_empty() {
                return Err(self.short());
            }
            out[filled..filled + piece.len()].copy_from_slice(piece);
            filled += piece.len();
        }
        Ok(())
    }

    /// Opens `self.sealed` at the current position into `self.plain`. `last` is the last-chunk
    /// flag to try; false on failure.
    fn open_sealed(&mut self, last: bool) -> bool {
        self.plain.clear();
        self.plain.extend_from_slice(&self.sealed);
        self.offset = 0;
        let opened = self.cipher.decrypt_in_place(self.position, last, &self.header_hash, &mut *self.plain).is_ok();
        if !opened {
            self.plain.clear();
        }
        opened
    }

    /// Opens a chunk read in pass 1 at the current position: `Some(true)` when it is the
    /// stream's last, `Some(false)` when more follows, `None` when it does not authenticate.
    /// A chunk at the end of its file may be the last or continue in another part.
    fn open_found(&mut self, at_file_end: bool) -> Option<bool> {
        if self.sealed.len() < TAG_LEN {
            return None;
        }
        if !at_file_end {
            return self.open_sealed(false).then_some(false);
        }
        if self.open_sealed(true) {
            return Some(true);
        }
        (self.sealed.len() == BUNDLE_SEALED_CHUNK_LEN && self.open_sealed(false)).then_some(false)
    }

    /// After a chunk opened: moves the position on, or marks the end.
    fn advance(&mut self, last: bool) -> Result<(), BundleStreamError> {
        if last {
            self.ended = true;
        } else {
            self.position = self.position.checked_add(1).ok_or(CryptoError::TooLarge { what: "bundle" })?;
        }
        Ok(())
    }

    fn next_chunk(&mut self) -> Result<(), BundleStreamError> {
        if self.replay { self.next_replayed() } else { self.next_found() }
    }

    /// Pass 1: the next chunk of the current part, or the first chunk of its continuation.
    fn next_found(&mut self) -> Result<(), BundleStreamError> {
        let Some(reader) = self.reader.as_mut() else { return self.find_continuation() };
        let at_end = reader.next_chunk(&mut self.sealed)?;
        let last = match self.open_found(at_end) {
            Some(last) => last,
            None if self.sealed.len() < TAG_LEN => return Err(CryptoError::Malformed { what: "bundle chunk" }.into()),
            None => return Err(CryptoError::Tampered.into()),
        };
        if let Some(part) = self.parts.last_mut() {
            part.chunks += 1;
            part.len += self.sealed.len() as u64;
        }
        if at_end {
            self.reader = None;
        }
        self.advance(last)
    }

    /// Pass 1: the candidate file whose first chunk opens at the current position.
    fn find_continuation(&mut self) -> Result<(), BundleStreamError> {
        let mut unreadable = None;
        for index in 0..self.files.count() {
            if self.parts.iter().any(|part| part.file == index) {
                continue;
            }
            let file = match self.files.open(index) {
                Ok(file) => file,
                Err(error) => {
                    unreadable = Some(error);
                    continue;
                }
            };
            let mut reader = PartReader::new(Cursor::new(Vec::new()).chain(file));
            let at_end = match reader.next_chunk(&mut self.sealed) {
                Ok(at_end) => at_end,
                Err(error) => {
                    unreadable = Some(error);
                    continue;
                }
            };
            let Some(last) = self.open_found(at_end) else { continue };
            self.parts.push(PartInfo { file: index, chunks: 1, len: self.sealed.len() as u64 });
            self.reader = (!at_end).then_some(reader);
            return self.advance(last);
        }
        // A part that could not be read may be the missing one: say so rather than "missing".
        Err(unreadable.map_or(BundleStreamError::MissingPart, BundleStreamError::Io))
    }

    /// Pass 2: the next chunk of the parts pass 1 found, exactly as pass 1 saw them.
    fn next_replayed(&mut self) -> Result<(), BundleStreamError> {
        let info = *self.parts.get(self.part).ok_or(BundleStreamError::Changed)?;
        if self.reader.is_none() {
            let file = self.files.open(info.file)?;
            let mut source = Cursor::new(Vec::new()).chain(file);
            if self.part == 0 {
                let mut header = Vec::new();
                read_up_to(&mut source, &mut header, self.header_len)?;
                if header.len() != self.header_len || <[u8; 32]>::from(Sha256::digest(&header)) != self.header_hash {
                    return Err(BundleStreamError::Changed);
                }
            }
            self.reader = Some(PartReader::new(source));
            self.chunks_in_part = 0;
        }
        let reader = self.reader.as_mut().ok_or(BundleStreamError::Changed)?;
        let at_end = reader.next_chunk(&mut self.sealed)?;
        self.chunks_in_part += 1;
        let part_ends = self.chunks_in_part == info.chunks;
        let last = part_ends && self.part + 1 == self.parts.len();
        if at_end != part_ends || self.sealed.len() < TAG_LEN || !self.open_sealed(last) {
            return Err(BundleStreamError::Changed);
        }
        if part_ends {
            self.reader = None;
            self.part += 1;
        }
        self.advance(last)
    }
}

/// A bundle that opened for this device and whose every chunk authenticated (pass 1), whose
/// signature is not yet checked: the caller looks the sender up on its roster and calls
/// [`UnverifiedBundleStream::verify`]. It holds the manifest (37 bytes per item), not the items.
pub struct UnverifiedBundleStream {
    sender: [u8; 16],
    counter: u64,
    item_count: usize,
    manifest: Vec<u8>,
    signature: Signature,
    file_key: Zeroizing<[u8; 32]>,
    header_hash: [u8; 32],
    header_len: usize,
    parts: Vec<PartInfo>,
}

impl std::fmt::Debug for UnverifiedBundleStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnverifiedBundleStream")
            .field("items", &self.item_count)
            .field("parts", &self.parts.len())
            .finish_non_exhaustive()
    }
}

impl UnverifiedBundleStream {
    /// The device id the bundle claims as its sender.
    pub fn sender(&self) -> [u8; 16] {
        self.sender
    }

    /// The counter the bundle claims.
    pub fn counter(&self) -> u64 {
        self.counter
    }

    /// How many items it holds.
    pub fn item_count(&self) -> usize {
        self.item_count
    }

    /// The candidate files (their indexes in the [`BundleFiles`] it was read from) that hold
    /// its parts, in order: the first is the one it was opened from.
    pub fn part_files(&self) -> Vec<usize> {
        self.parts.iter().map(|part| part.file).collect()
    }

    /// Bytes over all its parts.
    pub fn len(&self) -> u64 {
        self.header_len as u64 + self.parts.iter().map(|part| part.len).sum::<u64>()
    }

    /// Whether it is empty (never: a bundle has at least its stanzas and one chunk).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each item's kind and length, in order (from the manifest; no file is read).
    pub fn item_kinds(&self) -> impl Iterator<Item = (u8, u32)> + '_ {
        self.manifest[MANIFEST_FIXED_LEN..].chunks_exact(MANIFEST_ENTRY_LEN).map(|entry| {
            let len = u32::from_le_bytes(entry[1..5].try_into().expect("4 bytes"));
            (entry[0], len)
        })
    }

    /// Checks the manifest's signature with the sender's key (from the roster); returns the
    /// verified bundle or [`CryptoError::BadSignature`].
    pub fn verify(self, sender_key: &SigningPublicKey) -> Result<VerifiedBundleStream, CryptoError> {
        sender_key.verify(SignaturePurpose::BundleManifest, &self.manifest, &self.signature)?;
        Ok(VerifiedBundleStream(self))
    }
}

/// A bundle whose every chunk authenticated and whose signature verified: its items are read
/// (again) with [`VerifiedBundleStream::items`].
#[derive(Debug)]
pub struct VerifiedBundleStream(UnverifiedBundleStream);

impl VerifiedBundleStream {
    /// The sender's device id.
    pub fn sender(&self) -> [u8; 16] {
        self.0.sender
    }

    /// The sender's counter.
    pub fn counter(&self) -> u64 {
        self.0.counter
    }

    /// How many items it holds.
    pub fn item_count(&self) -> usize {
        self.0.item_count
    }

    /// The candidate files that hold its parts, in order.
    pub fn part_files(&self) -> Vec<usize> {
        self.0.part_files()
    }

    /// Bytes over all its parts.
    pub fn len(&self) -> u64 {
        self.0.len()
    }

    /// Whether it is empty (never).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each item's kind and length, in order (from the signed manifest; no file is read).
    pub fn item_kinds(&self) -> impl Iterator<Item = (u8, u32)> + '_ {
        self.0.item_kinds()
    }

    /// Reads the items again from `files` (the same candidates it was opened from), one at a
    /// time: each is checked against the signed manifest before it is handed out, so a file
    /// changed since pass 1 yields [`BundleStreamError::Changed`] and nothing after it.
    pub fn items<'s, 'f, F: BundleFiles + ?Sized>(&'s self, files: &'f F) -> BundleItems<'s, 'f, F> {
        items_of(&self.0, files)
    }
}

fn items_of<'s, 'f, F: BundleFiles + ?Sized>(bundle: &'s UnverifiedBundleStream, files: &'f F) -> BundleItems<'s, 'f, F> {
    let mut stream = PlainStream::new(files, &bundle.file_key, bundle.header_hash, bundle.header_len);
    stream.replay = true;
    stream.parts.clone_from(&bundle.parts);
    BundleItems { bundle, stream, next: 0, started: false, done: false }
}

/// The items of a verified bundle, read one at a time (pass 2); stops at the first error.
pub struct BundleItems<'s, 'f, F: BundleFiles + ?Sized> {
    bundle: &'s UnverifiedBundleStream,
    stream: PlainStream<'f, F>,
    next: usize,
    started: bool,
    done: bool,
}

impl<F: BundleFiles + ?Sized> std::fmt::Debug for BundleItems<'_, '_, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleItems").field("next", &self.next).finish_non_exhaustive()
    }
}

impl<F: BundleFiles + ?Sized> BundleItems<'_, '_, F> {
    fn next_item(&mut self) -> Result<Option<BundleItem>, BundleStreamError> {
        let manifest = &self.bundle.manifest;
        if !self.started {
            let mut fixed = [0u8; FIXED_LEN];
            self.stream.read_exact(&mut fixed)?;
            if fixed[..] != manifest[32..MANIFEST_FIXED_LEN] {
                return Err(BundleStreamError::Changed);
            }
            self.started = true;
        }
        if self.next == self.bundle.item_count {
            return Ok(None);
        }
        let entry = &manifest[MANIFEST_FIXED_LEN + self.next * MANIFEST_ENTRY_LEN..][..MANIFEST_ENTRY_LEN];
        let mut head = [0u8; ITEM_HEADER_LEN];
        self.stream.read_exact(&mut head)?;
        if head[..] != entry[..ITEM_HEADER_LEN] {
            return Err(BundleStreamError::Changed);
        }
        let len = u32::from_le_bytes(head[1..].try_into().expect("4 bytes")) as usize;
        let mut bytes = Vec::with_capacity(len);
        while bytes.len() < len {
            let piece = self.stream.take(len - bytes.len())?;
            if piece.is_empty() {
                return Err(BundleStreamError::Changed);
            }
            bytes.extend_from_slice(piece);
        }
        if Sha256::digest(&bytes)[..] != entry[ITEM_HEADER_LEN..] {
            return Err(BundleStreamError::Changed);
        }
        self.next += 1;
        Ok(Some(BundleItem { kind: head[0], bytes }))
    }
}

impl<F: BundleFiles + ?Sized> Iterator for BundleItems<'_, '_, F> {
    type Item = Result<BundleItem, BundleStreamError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = self.next_item().transpose();
        if !matches!(result, Some(Ok(_))) {
            self.done = true;
        }
        result
    }
}

/// Opens the bundle that starts in candidate file `start` for `recipient` (pass 1):
/// `Ok(None)` when that file holds no stanza for this device (another device's bundle, a later
/// part of a split one, or not a bundle). Otherwise every chunk is authenticated, the parts
/// that continue it are found among the other candidates, every item is hashed and the padding
/// and last-chunk flag are checked before anything is returned; the signature is checked by
/// [`UnverifiedBundleStream::verify`]. A truncated or altered file is an error
/// ([`BundleStreamError::MissingPart`] when the stream stops at a chunk boundary).
pub fn open_bundle_stream<F: BundleFiles + ?Sized>(
    recipient: &AgreementSecretKey,
    files: &F,
    start: usize,
) -> Result<Option<UnverifiedBundleStream>, BundleStreamError> {
    let mut file = files.open(start)?;
    let mut head = Vec::with_capacity(HEADER_MAX_LEN);
    read_up_to(&mut file, &mut head, HEADER_MAX_LEN)?;
    let Some((file_key, header_len)) = find_stanza(recipient, &head) else { return Ok(None) };
    let Some(header) = head.get(..header_len) else {
        return Err(CryptoError::Malformed { what: "bundle" }.into());
    };
    let header_hash: [u8; 32] = Sha256::digest(header).into();
    let mut stream = PlainStream::new(files, &file_key, header_hash, header_len);
    let rest = head.split_off(header_len);
    stream.reader = Some(PartReader::new(Cursor::new(rest).chain(file)));
    stream.parts.push(PartInfo { file: start, chunks: 0, len: 0 });

    let mut fixed = [0u8; FIXED_LEN];
    stream.read_exact(&mut fixed)?;
    let sender: [u8; 16] = fixed[..16].try_into().expect("16 bytes");
    let counter = u64::from_le_bytes(fixed[16..24].try_into().expect("8 bytes"));
    let count = u32::from_le_bytes(fixed[24..].try_into().expect("4 bytes"));
    if count as usize > MAX_BUNDLE_ITEMS {
        return Err(CryptoError::Malformed { what: "bundle item count" }.into());
    }
    let mut manifest = manifest_start(&header_hash, &sender, counter, count);
    for _ in 0..count {
        let mut head = [0u8; ITEM_HEADER_LEN];
        stream.read_exact(&mut head)?;
        let len = u32::from_le_bytes(head[1..].try_into().expect("4 bytes"));
        if len as usize > MAX_BUNDLE_ITEM_LEN {
            return Err(CryptoError::Malformed { what: "bundle item" }.into());
        }
        let mut hasher = Sha256::new();
        let mut left = len as usize;
        while left > 0 {
            let piece = stream.take(left)?;
            if piece.is_empty() {
                return Err(stream.short());
            }
            hasher.update(piece);
            left -= piece.len();
        }
        manifest.extend_from_slice(&head);
        manifest.extend_from_slice(&hasher.finalize());
    }
    let mut signature = [0u8; SIGNATURE_LEN];
    stream.read_exact(&mut signature)?;
    loop {
        let padding = stream.take(usize::MAX)?;
        if padding.is_empty() {
            break;
        }
        if padding.iter().any(|&byte| byte != 0) {
            return Err(CryptoError::Malformed { what: "bundle padding" }.into());
        }
    }
    Ok(Some(UnverifiedBundleStream {
        sender,
        counter,
        item_count: count as usize,
        manifest,
        signature: Signature::from_bytes(signature),
        file_key,
        header_hash,
        header_len,
        parts: stream.parts,
    }))
}

/// A bundle read whole from memory by [`open_bundle`], whose signature is not yet checked.
pub struct UnverifiedBundle {
    stream: UnverifiedBundleStream,
    items: Vec<BundleItem>,
}

impl std::fmt::Debug for UnverifiedBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnverifiedBundle").field("items", &self.items.len()).finish_non_exhaustive()
    }
}

impl UnverifiedBundle {
    /// The device id the bundle claims as its sender.
    pub fn sender(&self) -> [u8; 16] {
        self.stream.sender
    }

    /// Checks the manifest's signature with the sender's key (from the roster); returns the
    /// verified bundle or [`CryptoError::BadSignature`].
    pub fn verify(self, sender_key: &SigningPublicKey) -> Result<OpenedBundle, CryptoError> {
        let stream = self.stream.verify(sender_key)?;
        Ok(OpenedBundle { sender: stream.sender(), counter: stream.counter(), items: self.items })
    }
}

/// A bundle read whole from memory whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedBundle {
    /// The sender's device id.
    pub sender: [u8; 16],
    /// The sender's counter.
    pub counter: u64,
    /// The items, in the sender's order.
    pub items: Vec<BundleItem>,
}

/// Opens a one-file bundle held in memory for `recipient`: `Ok(None)` when it is not addressed
/// to this device; otherwise every chunk is authenticated and the items read before anything
/// is returned. Any damage (truncation, a flipped byte, a swapped stanza or chunk) is an error;
/// the signature is checked by [`UnverifiedBundle::verify`]. Bundles of any size are read with
/// [`open_bundle_stream`].
pub fn open_bundle(recipient: &AgreementSecretKey, bytes: &[u8]) -> Result<Option<UnverifiedBundle>, CryptoError> {
    let files = [bytes];
    let Some(stream) = open_bundle_stream(recipient, &files[..], 0).map_err(flatten)? else { return Ok(None) };
    let items = items_of(&stream, &files[..]).collect::<Result<Vec<_>, _>>().map_err(flatten)?;
    Ok(Some(UnverifiedBundle { stream, items }))
}

/// The file name of part `part` of the bundle `sender` leaves for `recipient`, derived under
/// the sender's own K_dev (a secret only its vault holds; HKDF with a label of its own, so the
/// name says nothing about the key): the same pair always gets the same names, so a later
/// export replaces the earlier files (and can remove the parts of an earlier, longer bundle),
/// and a name reveals neither device nor the part's place. 32 lowercase hex digits, no
/// extension. Part 0 is [`bundle_file_name`].
pub fn bundle_part_file_name(key: &DeviceWrapKey, sender: &[u8; 16], recipient: &[u8; 16], part: u32) -> String {
    let part_bytes = part.to_le_bytes();
    let mut info = vec![b"cairn/bundle/name/v1".as_slice(), sender, recipient];
    if part > 0 {
        info.push(&part_bytes);
    }
    let name = hkdf_expand::<16>(None, key.bytes(), &info.concat());
    name.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The file name for the bundle `sender` leaves for `recipient` (its part 0; see
/// [`bundle_part_file_name`]).
pub fn bundle_file_name(key: &DeviceWrapKey, sender: &[u8; 16], recipient: &[u8; 16]) -> String {
    bundle_part_file_name(key, sender, recipient, 0)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    fn items() -> Vec<BundleItem> {
        vec![
            BundleItem { kind: 1, bytes: b"digest".to_vec() },
            BundleItem { kind: 3, bytes: (0..150_000u32).map(|i| (i % 251) as u8).collect() },
            BundleItem { kind: 4, bytes: Vec::new() },
        ]
    }

    fn seal(recipients: &[&AgreementSecretKey], signing: &SigningSecretKey) -> Vec<u8> {
        let publics: Vec<_> = recipients.iter().map(|key| key.public_key()).collect();
        seal_bundle(&publics, &BundleSender { device_id: [7; 16], signing, counter: 42 }, &items()).expect("seal")
    }

    /// Seals `items` for `recipient` in parts of at most `max_part_len` bytes.
    fn seal_parts(
        recipient: &AgreementSecretKey,
        signing: &SigningSecretKey,
        items: &[BundleItem],
        max_part_len: u64,
    ) -> Vec<Vec<u8>> {
        let sender = BundleSender { device_id: [7; 16], signing, counter: 9 };
        let mut writer =
            BundleWriter::new(Vec::new(), &[recipient.public_key()], &sender, items.len(), max_part_len).expect("new");
        for item in items {
            writer.write_item(item.kind, &item.bytes).expect("item");
        }
        let (parts, written) = writer.finish().expect("finish");
        assert_eq!(written.parts as usize, parts.len());
        assert_eq!(written.len, parts.iter().map(|part| part.len() as u64).sum::<u64>());
        parts
    }

    fn read_all<F: BundleFiles + ?Sized>(
        recipient: &AgreementSecretKey,
        signing: &SigningSecretKey,
        files: &F,
        start: usize,
    ) -> Result<(Vec<usize>, Vec<BundleItem>), BundleStreamError> {
        let bundle = open_bundle_stream(recipient, files, start)?.expect("addressed");
        let bundle = bundle.verify(&signing.public_key())?;
        let items = bundle.items(files).collect::<Result<Vec<_>, _>>()?;
        Ok((bundle.part_files(), items))
    }

    /// Items that span several chunks and parts.
    fn long_items() -> Vec<BundleItem> {
        (0..12u32)
            .map(|n| BundleItem { kind: n as u8, bytes: (0..(n * 40_000 + 7)).map(|i| (i * 7 + n) as u8).collect() })
            .collect()
    }

    const SMALL_PART: u64 = (BUNDLE_STANZA_LEN + 3 * BUNDLE_SEALED_CHUNK_LEN) as u64;

    #[test]
    fn every_recipient_opens_and_a_stranger_is_not_addressed() {
        let (a, b, c) = (AgreementSecretKey::generate(), AgreementSecretKey::generate(), AgreementSecretKey::generate());
        let signing = SigningSecretKey::generate();
        let bytes = seal(&[&a, &b], &signing);
        for key in [&a, &b] {
            let opened = open_bundle(key, &bytes).expect("open").expect("addressed");
            assert_eq!(opened.sender(), [7; 16]);
            let opened = opened.verify(&signing.public_key()).expect("verify");
            assert_eq!((opened.counter, opened.items), (42, items()));
        }
        assert!(open_bundle(&c, &bytes).expect("not an error").is_none());
        let other = SigningSecretKey::generate();
        let opened = open_bundle(&a, &bytes).expect("open").expect("addressed");
        assert_eq!(opened.verify(&other.public_key()).err(), Some(CryptoError::BadSignature));
        assert_eq!(bytes.len(), padded_len(bytes.len()), "the file is a Padmé length");
    }

    #[test]
    fn truncation_flips_and_swapped_stanzas_are_refused() {
        let (a, b) = (AgreementSecretKey::generate(), AgreementSecretKey::generate());
        let signing = SigningSecretKey::generate();
        let bytes = seal(&[&a, &b], &signing);
        let header = 2 * BUNDLE_STANZA_LEN;
        let mut cuts: Vec<usize> = (1..4).map(|i| header + i * (BUNDLE_CHUNK_LEN + TAG_LEN)).collect();
        cuts.extend([0, 10, header, header + 1, bytes.len() - 1, bytes.len() - TAG_LEN]);
        for cut in cuts.into_iter().filter(|cut| *cut < bytes.len()) {
            // Cut inside a's stanza: not addressed; anywhere else: an error.
            assert!(!matches!(open_bundle(&a, &bytes[..cut]), Ok(Some(_))), "cut at {cut}");
        }
        for at in [0, 40, BUNDLE_STANZA_LEN + 3, header, header + 70_000, bytes.len() - 1] {
            let mut flipped = bytes.clone();
            flipped[at] ^= 1;
            let refused = match open_bundle(&a, &flipped) {
                Ok(Some(bundle)) => bundle.verify(&signing.public_key()).is_err(),
                Ok(None) | Err(_) => true,
            };
            assert!(refused, "flip at {at}");
        }
        let mut swapped = bytes.clone();
        swapped.copy_within(0..BUNDLE_STANZA_LEN, BUNDLE_STANZA_LEN);
        swapped[..BUNDLE_STANZA_LEN].copy_from_slice(&bytes[BUNDLE_STANZA_LEN..header]);
        assert_eq!(open_bundle(&a, &swapped).err(), Some(CryptoError::Tampered));
        // A stanza from another bundle to the same recipient.
        let other = seal(&[&a, &b], &signing);
        let mut moved = bytes.clone();
        moved[..BUNDLE_STANZA_LEN].copy_from_slice(&other[..BUNDLE_STANZA_LEN]);
        assert_eq!(open_bundle(&a, &moved).err(), Some(CryptoError::Tampered));
    }

    #[test]
    fn a_stream_cut_at_a_chunk_boundary_is_a_missing_part() {
        let (a, signing) = (AgreementSecretKey::generate(), SigningSecretKey::generate());
        let bytes = seal(&[&a], &signing);
        let cut = &bytes[..BUNDLE_STANZA_LEN + 2 * BUNDLE_SEALED_CHUNK_LEN];
        let files = [cut];
        assert!(matches!(open_bundle_stream(&a, &files[..], 0), Err(BundleStreamError::MissingPart)));
        let files = [&bytes[..bytes.len() - 1]];
        assert!(matches!(open_bundle_stream(&a, &files[..], 0), Err(BundleStreamError::Crypto(CryptoError::Tampered))));
    }

    #[test]
    fn split_parts_round_trip_in_any_order_among_other_files() {
        let (a, signing) = (AgreementSecretKey::generate(), SigningSecretKey::generate());
        let parts = seal_parts(&a, &signing, &long_items(), SMALL_PART);
        assert!(parts.len() >= 4, "{} parts", parts.len());
        assert!(parts.iter().all(|part| part.len() as u64 <= SMALL_PART));
        // Later parts are whole sealed chunks (the last one ends with the shorter last chunk).
        assert!(parts[1..parts.len() - 1].iter().all(|part| part.len() % BUNDLE_SEALED_CHUNK_LEN == 0));
        let total: usize = parts.iter().map(Vec::len).sum();
        assert_eq!(total, padded_len(total), "all parts together are a Padmé length");

        // In order, one file per part.
        let (files, read) = read_all(&a, &signing, &parts[..], 0).expect("read");
        assert_eq!(read, long_items());
        assert_eq!(files, (0..parts.len()).collect::<Vec<_>>());

        // Reversed, with another bundle for the same device and some other file in between.
        let other = seal_parts(&a, &signing, &items()[..1], SMALL_PART);
        let mut mixed: Vec<Vec<u8>> = parts.iter().rev().cloned().collect();
        mixed.insert(2, other[0].clone());
        mixed.insert(1, vec![5; 70_000]);
        let start = mixed.iter().position(|file| *file == parts[0]).expect("part 0");
        let (files, read) = read_all(&a, &signing, &mixed[..], start).expect("read mixed");
        assert_eq!(read, long_items());
        assert_eq!(files.len(), parts.len());
        // Later parts open as nothing for this device; the other bundle opens on its own.
        for (index, file) in mixed.iter().enumerate() {
            if index != start && *file != other[0] {
                assert!(open_bundle_stream(&a, &mixed[..], index).expect("no error").is_none());
            }
        }
        let other_start = mixed.iter().position(|file| *file == other[0]).expect("other");
        assert_eq!(read_all(&a, &signing, &mixed[..], other_start).expect("other").1, items()[..1]);
    }

    #[test]
    fn a_missing_truncated_or_foreign_part_is_refused() {
        let (a, signing) = (AgreementSecretKey::generate(), SigningSecretKey::generate());
        let parts = seal_parts(&a, &signing, &long_items(), SMALL_PART);
        let missing =
            |files: &[Vec<u8>]| open_bundle_stream(&a, files, 0).err().map(|error| error.code()).unwrap_or("opened");
        // A part left out (the last, or one in the middle).
        assert_eq!(missing(&parts[..parts.len() - 1]), "missing_part");
        let without_second: Vec<_> = parts.iter().enumerate().filter(|(i, _)| *i != 1).map(|(_, p)| p.clone()).collect();
        assert_eq!(missing(&without_second), "missing_part");
        // A part cut at a chunk boundary or inside a chunk.
        let mut cut = parts.clone();
        cut[1].truncate(BUNDLE_SEALED_CHUNK_LEN);
        assert_eq!(missing(&cut), "missing_part");
        let mut cut = parts.clone();
        cut[1].truncate(BUNDLE_SEALED_CHUNK_LEN + 100);
        assert_eq!(missing(&cut), "tampered");
        let mut cut = parts.clone();
        let last = cut.last_mut().expect("last");
        last.truncate(last.len() - 1);
        assert_eq!(missing(&cut), "tampered");
        // The same part of another bundle (same items, same device) in its place.
        let other = seal_parts(&a, &signing, &long_items(), SMALL_PART);
        let mut swapped = parts.clone();
        swapped[2] = other[2].clone();
        assert_eq!(missing(&swapped), "missing_part");
        // Two parts' order swapped inside one file is damage, not a continuation.
        let mut flipped = parts.clone();
        let (x, y) = flipped.split_at_mut(2);
        x[1].truncate(BUNDLE_SEALED_CHUNK_LEN);
        y[0].truncate(BUNDLE_SEALED_CHUNK_LEN);
        std::mem::swap(&mut x[1], &mut y[0]);
        assert_ne!(missing(&flipped), "opened");
        // An extra byte after a part.
        let mut longer = parts.clone();
        longer[1].push(0);
        assert_eq!(missing(&longer), "malformed");
    }

    /// Candidate files that a test can change between the two passes.
    struct Changing(RefCell<Vec<Vec<u8>>>);

    impl BundleFiles for Changing {
        type File<'a> = Cursor<Vec<u8>>;

        fn count(&self) -> usize {
            self.0.borrow().len()
        }

        fn open(&self, index: usize) -> io::Result<Cursor<Vec<u8>>> {
            self.0.borrow().get(index).cloned().map(Cursor::new).ok_or_else(|| io::ErrorKind::NotFound.into())
        }
    }

    #[test]
    fn a_file_changed_between_the_passes_stops_the_reader() {
        let (a, signing) = (AgreementSecretKey::generate(), SigningSecretKey::generate());
        let sender = BundleSender { device_id: [7; 16], signing: &signing, counter: 9 };
        let seal_with = |items: &[BundleItem]| {
            let ephemeral = [Zeroizing::new([3u8; 32])];
            let mut writer = BundleWriter::with_randomness(
                Vec::new(),
                &[a.public_key()],
                &sender,
                items.len(),
                SMALL_PART,
                &[4; 32],
                &ephemeral,
                &[0],
            )
            .expect("new");
            for item in items {
                writer.write_item(item.kind, &item.bytes).expect("item");
            }
            writer.finish().expect("finish").0
        };
        let parts = seal_with(&long_items());
        // The same keys (what another recipient or the sender could do) but other content:
        // every chunk authenticates, only the manifest tells.
        let mut altered_items = long_items();
        altered_items[5].bytes[3] ^= 1;
        let altered = seal_with(&altered_items);
        assert_eq!(altered.len(), parts.len());
        // Item 5 lies in part 2 (three chunks a part): the other parts are the same bytes.
        assert_eq!((altered[1] == parts[1], altered[2] == parts[2]), (true, false));
        for (part, altered_part) in altered.iter().enumerate() {
            let files = Changing(RefCell::new(parts.clone()));
            let bundle = open_bundle_stream(&a, &files, 0).expect("pass 1").expect("addressed");
            let bundle = bundle.verify(&signing.public_key()).expect("verify");
            files.0.borrow_mut()[part] = altered_part.clone();
            let results: Vec<_> = bundle.items(&files).collect();
            if part == 2 {
                assert_eq!(results.iter().take_while(|item| item.is_ok()).count(), 5, "items before the change");
                assert_eq!(results.len(), 6, "nothing after the changed item");
                assert!(matches!(results.last(), Some(Err(BundleStreamError::Changed))));
            } else {
                assert!(results.iter().all(Result::is_ok), "part {part} is unchanged");
            }
        }
        // A part replaced by garbage, removed or cut after pass 1.
        for change in 0..3 {
            let files = Changing(RefCell::new(parts.clone()));
            let bundle = open_bundle_stream(&a, &files, 0).expect("pass 1").expect("addressed");
            let bundle = bundle.verify(&signing.public_key()).expect("verify");
            match change {
                0 => files.0.borrow_mut()[1] = vec![1; parts[1].len()],
                1 => files.0.borrow_mut()[3].truncate(100),
                _ => files.0.borrow_mut()[0].push(0),
            }
            let last = bundle.items(&files).last().expect("something");
            assert!(matches!(last, Err(BundleStreamError::Changed)), "change {change}");
        }
    }

    /// A sink that counts what it is given and keeps it (as a disk would) for reading back.
    #[derive(Default)]
    struct CountingSink {
        parts: Vec<Vec<u8>>,
        largest_write: usize,
    }

    struct CountingPart<'a>(&'a mut usize, Vec<u8>);

    impl Write for CountingPart<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            *self.0 = (*self.0).max(buf.len());
            self.1.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl BundlePartSink for &mut CountingSink {
        type Part = Vec<u8>;
        fn start_part(&mut self, _index: u32) -> io::Result<Vec<u8>> {
            Ok(Vec::new())
        }
        fn end_part(&mut self, _index: u32, part: Vec<u8>) -> io::Result<()> {
            let mut counted = CountingPart(&mut self.largest_write, Vec::new());
            counted.write_all(&part)?;
            self.parts.push(counted.1);
            Ok(())
        }
    }

    #[test]
    fn fifty_megabytes_pass_through_one_chunk_and_one_item_at_a_time() {
        let (a, signing) = (AgreementSecretKey::generate(), SigningSecretKey::generate());
        let sender = BundleSender { device_id: [7; 16], signing: &signing, counter: 9 };
        let item = |n: u32| -> Vec<u8> { (0..BUNDLE_CHUNK_LEN as u32 + 77).map(|i| (i ^ n) as u8).collect() };
        let count = 50 * 1024 * 1024 / BUNDLE_CHUNK_LEN as u32;
        let mut sink = CountingSink::default();
        let mut writer =
            BundleWriter::new(&mut sink, &[a.public_key()], &sender, count as usize, 20 * 1024 * 1024).expect("new");
        for n in 0..count {
            writer.write_item(2, &item(n)).expect("item");
            // The writer holds one chunk of plaintext and the manifest, never the items.
            assert!(writer.plain.capacity() <= BUNDLE_SEALED_CHUNK_LEN);
            assert!(writer.sealed.capacity() <= BUNDLE_SEALED_CHUNK_LEN);
            assert_eq!(writer.manifest.len(), MANIFEST_FIXED_LEN + (n as usize + 1) * MANIFEST_ENTRY_LEN);
        }
        let (_, written) = writer.finish().expect("finish");
        assert_eq!(written.parts, 3);
        assert!(written.len > 50 * 1024 * 1024);
        let bundle = open_bundle_stream(&a, &sink.parts[..], 0).expect("pass 1").expect("addressed");
        let bundle = bundle.verify(&signing.public_key()).expect("verify");
        let mut items = bundle.items(&sink.parts[..]);
        let mut seen = 0;
        while let Some(read) = items.next() {
            assert_eq!(read.expect("item").bytes, item(seen));
            seen += 1;
            // The reader holds one chunk: the item it hands out is the only copy.
            assert!(items.stream.plain.capacity() <= BUNDLE_SEALED_CHUNK_LEN);
        }
        assert_eq!(seen, count);
    }

    #[test]
    fn the_writer_checks_its_item_count_and_part_length() {
        let (a, signing) = (AgreementSecretKey::generate(), SigningSecretKey::generate());
        let sender = BundleSender { device_id: [7; 16], signing: &signing, counter: 9 };
        let new = |count, max| BundleWriter::new(Vec::new(), &[a.public_key()], &sender, count, max);
        assert!(new(1, BUNDLE_SEALED_CHUNK_LEN as u64).is_err(), "a part must hold the stanzas and a chunk");
        let writer = new(1, u64::MAX).expect("new");
        assert!(writer.finish().is_err(), "an item short");
        let mut writer = new(0, u64::MAX).expect("new");
        assert!(writer.write_item(1, b"x").is_err(), "an item too many");
        let mut writer = new(1, u64::MAX).expect("new");
        assert!(writer.write_item(1, &vec![0; MAX_BUNDLE_ITEM_LEN + 1]).is_err(), "an item too long");
    }

    #[test]
    fn names_are_stable_per_pair_and_part_and_differ_otherwise() {
        let key = DeviceWrapKey::from_bytes([9; 32]);
        let name = bundle_file_name(&key, &[1; 16], &[2; 16]);
        assert_eq!(name.len(), 32);
        assert_eq!(name, bundle_file_name(&key, &[1; 16], &[2; 16]));
        assert_eq!(name, bundle_part_file_name(&key, &[1; 16], &[2; 16], 0));
        assert_ne!(name, bundle_file_name(&key, &[1; 16], &[3; 16]));
        assert_ne!(name, bundle_file_name(&DeviceWrapKey::from_bytes([8; 32]), &[1; 16], &[2; 16]));
        let parts: Vec<_> = (0..4).map(|part| bundle_part_file_name(&key, &[1; 16], &[2; 16], part)).collect();
        assert!(parts.iter().all(|part| part.len() == 32));
        assert!((1..4).all(|i| !parts[..i].contains(&parts[i])));
    }

    #[test]
    fn padding_reaches_padme_lengths_across_chunk_boundaries() {
        for header in [BUNDLE_STANZA_LEN, 3 * BUNDLE_STANZA_LEN] {
            for plain in [0, 100, BUNDLE_CHUNK_LEN - 20, BUNDLE_CHUNK_LEN, 5 * BUNDLE_CHUNK_LEN + 7] {
                let padded = padded_plain_len(header, plain);
                assert!(padded >= plain);
                let total = header + padded + TAG_LEN * chunk_count(padded);
                assert_eq!(total, padded_len(total), "header {header} plain {plain}");
            }
        }
    }
}
