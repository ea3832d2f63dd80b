//! Removing photo metadata (EXIF with GPS, XMP, IPTC, comments, text chunks, thumbnails)
//! from JPEG and PNG files while they stream into the vault, without decoding or re-encoding
//! the image: the pixels are kept bit for bit.
//!
//! Why not `img-parts`: it holds the whole file in memory, and a scanned document can be a
//! very large PNG; attachments must import in bounded memory. This is a small streaming
//! parser of the two container formats instead (the tests check its output against
//! `img-parts`). It keeps what decoding needs and drops everything else, and it fails closed:
//! a file that starts like a JPEG or PNG but cannot be parsed is refused (the worker can
//! import it unchanged with `--keep-metadata`).
//!
//! - JPEG: keeps SOI, the tables and frame/scan headers (DQT, DHT, DAC, SOFn, DRI, SOS, DNL,
//!   EXP), the entropy-coded data, EOI, `JFIF` APP0, `ICC_PROFILE` APP2 (colour) and `Adobe`
//!   APP14 (colour transform). Drops every other APPn (EXIF and GPS and XMP in APP1, MPF and
//!   FlashPix in APP2, IPTC in APP13, …), COM, and anything after EOI (where phones append
//!   extra images and maker data). The EXIF orientation goes with EXIF: a rotated photo may
//!   display unrotated.
//! - PNG: keeps IHDR, PLTE, IDAT, IEND and the ancillary chunks that affect rendering (tRNS,
//!   cHRM, gAMA, iCCP, sBIT, sRGB, cICP, mDCV, cLLI, bKGD, hIST, pHYs, sPLT, and APNG's acTL,
//!   fcTL, fdAT). Drops eXIf, tEXt, zTXt, iTXt, tIME, private chunks, and anything after IEND.
//! - Anything else passes through unchanged (and is reported as not an image).

use std::io::{self, Read};

use crate::ModelError;

/// The container format found at the start of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// JPEG (JFIF/EXIF).
    Jpeg,
    /// PNG.
    Png,
    /// Neither: passed through unchanged.
    Other,
}

impl ImageFormat {
    /// The media type stored with the attachment.
    pub fn media_type(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::Other => "application/octet-stream",
        }
    }

    /// Recognises a format from the first bytes of a file (at least 8 for PNG).
    pub fn sniff(head: &[u8]) -> ImageFormat {
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            ImageFormat::Jpeg
        } else if head.starts_with(PNG_SIGNATURE) {
            ImageFormat::Png
        } else {
            ImageFormat::Other
        }
    }
}

/// Formats that can carry location and other identifying metadata that Cairn cannot remove
/// (it strips only JPEG and PNG): HEIF/HEIC/AVIF photos, MP4/MOV/M4A media (phones record the
/// place in them), WebP, TIFF (also most camera raw files) and PDF. Recognised from the first
/// bytes (at least 12); `None` for anything else. A front end must not import such a file as it
/// is without the worker choosing to.
pub fn unremovable_metadata_format(head: &[u8]) -> Option<&'static str> {
    const HEIF_BRANDS: [&[u8; 4]; 11] =
        [b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1", b"avif"];
    const QUICKTIME_BOXES: [&[u8; 4]; 5] = [b"moov", b"mdat", b"wide", b"free", b"skip"];
    let box_type = head.get(4..8);
    if box_type == Some(b"ftyp") {
        let brand = head.get(8..12).unwrap_or_default();
        return Some(if HEIF_BRANDS.iter().any(|heif| heif.as_slice() == brand) { "heif" } else { "mp4" });
    }
    if box_type.is_some_and(|kind| QUICKTIME_BOXES.iter().any(|quicktime| quicktime.as_slice() == kind)) {
        return Some("quicktime");
    }
    if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
        return Some("webp");
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Some("tiff");
    }
    if head.starts_with(b"%PDF-") {
        return Some("pdf");
    }
    None
}

/// What was removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StripReport {
    /// The format found.
    pub format: ImageFormat,
    /// Segments (JPEG) or chunks (PNG) removed.
    pub removed_parts: u32,
    /// Bytes removed, including any data after the end of the image.
    pub removed_bytes: u64,
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
const PNG_MAX_CHUNK: u64 = 0x7FFF_FFFF;
const PNG_KEEP: [&[u8; 4]; 20] = [
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP", b"mDCV", b"cLLI",
    b"bKGD", b"hIST", b"pHYs", b"sPLT", b"acTL", b"fcTL", b"fdAT",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Sniff,
    Passthrough,
    JpegStart,
    JpegMarker,
    JpegEntropy,
    PngSignature,
    PngChunkHeader,
    PngChunkBody { remaining: u64, keep: bool, last: bool },
    Trailer,
}

/// A push parser: feed it the file in pieces, collect the output, then call
/// [`Stripper::finish`]. It buffers at most one JPEG segment (64 KiB) plus one piece.
#[derive(Debug)]
pub struct Stripper {
    state: State,
    pending: Vec<u8>,
    report: StripReport,
}

impl Default for Stripper {
    fn default() -> Self {
        Self::new()
    }
}

impl Stripper {
    /// A stripper that has seen nothing yet.
    pub fn new() -> Stripper {
        Stripper {
            state: State::Sniff,
            pending: Vec::new(),
            report: StripReport { format: ImageFormat::Other, removed_parts: 0, removed_bytes: 0 },
        }
    }

    /// Processes `input`, appending what is kept to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), ModelError> {
        if self.state == State::Passthrough && self.pending.is_empty() {
            out.extend_from_slice(input);
            return Ok(());
        }
        self.pending.extend_from_slice(input);
        let consumed = self.process(out, false)?;
        self.pending.drain(..consumed);
        Ok(())
    }

    /// Ends the input: fails if the image was cut short.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<StripReport, ModelError> {
        let consumed = self.process(out, true)?;
        self.pending.drain(..consumed);
        match self.state {
            State::Passthrough | State::Trailer => Ok(self.report),
            State::Sniff => {
                // Too short to be an image: pass it through.
                out.extend_from_slice(&self.pending);
                Ok(self.report)
            }
            _ => Err(ModelError::ImageUnparseable),
        }
    }

    fn drop_part(&mut self, bytes: usize) {
        self.report.removed_parts += 1;
        self.report.removed_bytes += bytes as u64;
    }

    /// Consumes as much of `pending` as can be decided; returns how many bytes.
    fn process(&mut self, out: &mut Vec<u8>, at_end: bool) -> Result<usize, ModelError> {
        let mut at = 0;
        loop {
            let data = &self.pending[at..];
            match self.state {
                State::Sniff => {
                    if data.len() < PNG_SIGNATURE.len() && !at_end {
                        return Ok(at);
                    }
                    if data.len() < PNG_SIGNATURE.len() && at_end && !data.starts_with(&[0xFF, 0xD8, 0xFF]) {
                        // Left in `pending` for `finish` to pass through.
                        return Ok(at);
                    }
                    self.report.format = ImageFormat::sniff(data);
                    self.state = match self.report.format {
                        ImageFormat::Jpeg => State::JpegStart,
                        ImageFormat::Png => State::PngSignature,
                        ImageFormat::Other => State::Passthrough,
                    };
                }
                State::Passthrough => {
                    out.extend_from_slice(data);
                    return Ok(self.pending.len());
                }
                State::Trailer => {
                    self.report.removed_bytes += data.len() as u64;
                    return Ok(self.pending.len());
                }
                State::JpegStart => {
                    // Sniffing saw FF D8 FF, so two bytes are there.
                    out.extend_from_slice(&data[..2]);
                    at += 2;
                    self.state = State::JpegMarker;
                }
                State::JpegMarker => {
                    if data.len() < 2 {
                        return Ok(at);
                    }
                    if data[0] != 0xFF {
                        return Err(ModelError::ImageUnparseable);
                    }
                    let marker = data[1];
                    match marker {
                        0xFF => {
                            // A fill byte before a marker.
                            out.push(0xFF);
                            at += 1;
                        }
                        0xD9 => {
                            out.extend_from_slice(&data[..2]);
                            at += 2;
                            self.state = State::Trailer;
                        }
                        0x01 => {
                            out.extend_from_slice(&data[..2]);
                            at += 2;
                        }
                        0x00 | 0xD0..=0xD8 => return Err(ModelError::ImageUnparseable),
                        _ => {
                            if data.len() < 4 {
                                return Ok(at);
                            }
                            let length = usize::from(u16::from_be_bytes([data[2], data[3]]));
                            if length < 2 {
                                return Err(ModelError::ImageUnparseable);
                            }
                            let total = 2 + length;
                            if data.len() < total {
                                return Ok(at);
                            }
                            if keep_jpeg_segment(marker, &data[4..total]) {
                                out.extend_from_slice(&data[..total]);
                            } else {
                                self.drop_part(total);
                            }
                            at += total;
                            if marker == 0xDA {
                                self.state = State::JpegEntropy;
                            }
                        }
                    }
                }
                State::JpegEntropy => {
                    // Copy up to the next 0xFF that starts a marker (not a stuffed 0xFF00,
                    // not a restart marker, which belong to the scan).
                    let mut index = 0;
                    loop {
                        match data[index..].iter().position(|&byte| byte == 0xFF) {
                            None => {
                                out.extend_from_slice(data);
                                return Ok(self.pending.len());
                            }
                            Some(offset) => {
                                let ff = index + offset;
                                let Some(&next) = data.get(ff + 1) else {
                                    out.extend_from_slice(&data[..ff]);
                                    return Ok(at + ff);
                                };
                                if next == 0x00 || (0xD0..=0xD7).contains(&next) || next == 0xFF {
                                    index = ff + 1 + usize::from(next != 0xFF);
                                    continue;
                                }
                                out.extend_from_slice(&data[..ff]);
                                at += ff;
                                self.state = State::JpegMarker;
                                break;
                            }
                        }
                    }
                }
                State::PngSignature => {
                    out.extend_from_slice(PNG_SIGNATURE);
                    at += PNG_SIGNATURE.len();
                    self.state = State::PngChunkHeader;
                }
                State::PngChunkHeader => {
                    if data.len() < 8 {
                        return Ok(at);
                    }
                    let length = u64::from(u32::from_be_bytes([data[0], data[1], data[2], data[3]]));
                    let kind: [u8; 4] = [data[4], data[5], data[6], data[7]];
                    if length > PNG_MAX_CHUNK || !kind.iter().all(u8::is_ascii_alphabetic) {
                        return Err(ModelError::ImageUnparseable);
                    }
                    let keep = PNG_KEEP.contains(&&kind);
                    let critical = kind[0].is_ascii_uppercase();
                    if critical && !keep {
                        // An unknown critical chunk: nothing can decode this image.
                        return Err(ModelError::ImageUnparseable);
                    }
                    if keep {
                        out.extend_from_slice(&data[..8]);
                    } else {
                        self.drop_part(0);
                        self.report.removed_bytes += 8;
                    }
                    at += 8;
                    self.state = State::PngChunkBody { remaining: length + 4, keep, last: &kind == b"IEND" };
                }
                State::PngChunkBody { remaining, keep, last } => {
                    let take = usize::try_from(remaining).unwrap_or(usize::MAX).min(data.len());
                    if take == 0 && remaining > 0 {
                        return Ok(at);
                    }
                    if keep {
                        out.extend_from_slice(&data[..take]);
                    } else {
                        self.report.removed_bytes += take as u64;
                    }
                    at += take;
                    let remaining = remaining - take as u64;
                    self.state = if remaining > 0 {
                        State::PngChunkBody { remaining, keep, last }
                    } else if last {
                        State::Trailer
                    } else {
                        State::PngChunkHeader
                    };
                }
            }
        }
    }
}

fn keep_jpeg_segment(marker: u8, payload: &[u8]) -> bool {
    match marker {
        0xE0 => payload.starts_with(b"JFIF\0"),
        0xE2 => payload.starts_with(b"ICC_PROFILE\0"),
        0xEE => payload.starts_with(b"Adobe"),
        0xE1 | 0xE3..=0xED | 0xEF | 0xFE => false,
        _ => true,
    }
}

/// A reader that yields `inner`'s bytes with image metadata removed (see the module docs),
/// in bounded memory. After an error, [`StrippingReader::error`] says why.
pub struct StrippingReader<R> {
    inner: R,
    stripper: Option<Stripper>,
    input: Vec<u8>,
    output: Vec<u8>,
    position: usize,
    report: Option<StripReport>,
    error: Option<ModelError>,
}

impl<R> std::fmt::Debug for StrippingReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StrippingReader").field("report", &self.report).finish_non_exhaustive()
    }
}

const READ_PIECE: usize = 64 * 1024;

impl<R: Read> StrippingReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> StrippingReader<R> {
        StrippingReader {
            inner,
            stripper: Some(Stripper::new()),
            input: vec![0; READ_PIECE],
            output: Vec::with_capacity(2 * READ_PIECE),
            position: 0,
            report: None,
            error: None,
        }
    }

    /// What was removed, once the whole input has been read.
    pub fn report(&self) -> Option<StripReport> {
        self.report
    }

    /// Why reading failed, if it failed because of the image (not the underlying reader).
    pub fn error(&self) -> Option<&ModelError> {
        self.error.as_ref()
    }

    fn fail(&mut self, error: ModelError) -> io::Error {
        self.error = Some(error);
        io::Error::new(io::ErrorKind::InvalidData, "image metadata could not be removed")
    }
}

impl<R: Read> Read for StrippingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.position < self.output.len() {
                let n = buf.len().min(self.output.len() - self.position);
                buf[..n].copy_from_slice(&self.output[self.position..self.position + n]);
                self.position += n;
                return Ok(n);
            }
            self.output.clear();
            self.position = 0;
            let Some(stripper) = self.stripper.as_mut() else { return Ok(0) };
            let read = match self.inner.read(&mut self.input) {
                Ok(read) => read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            if read == 0 {
                let stripper = self.stripper.take().unwrap_or_default();
                match stripper.finish(&mut self.output) {
                    Ok(report) => self.report = Some(report),
                    Err(error) => return Err(self.fail(error)),
                }
            } else if let Err(error) = stripper.feed(&self.input[..read], &mut self.output) {
                return Err(self.fail(error));
            }
        }
    }
}

#[cfg(test)]
mod tests;
