use std::io::Read;

use img_parts::{Bytes, jpeg::Jpeg, png::Png};
use proptest::prelude::*;

use super::*;

const MARKER: &[u8] = b"CAIRN-SECRET-LOCATION";

/// A TIFF/EXIF block with a camera make and a GPS IFD (latitude 41.8 N, longitude 129.7 E,
/// the Chinese border region), prefixed with `Exif\0\0` as in a JPEG APP1 or a PNG eXIf
/// chunk (`with_prefix = false`).
pub(crate) fn exif_with_gps(with_prefix: bool) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08");
    // IFD0 at 8: 2 entries (Make, GPSInfo pointer).
    let make_offset = 8 + 2 + 2 * 12 + 4;
    let gps_offset = make_offset + MARKER.len() as u32 + 1;
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x0F, 0x00, 0x02]);
    tiff.extend_from_slice(&(MARKER.len() as u32 + 1).to_be_bytes());
    tiff.extend_from_slice(&make_offset.to_be_bytes());
    tiff.extend_from_slice(&[0x88, 0x25, 0x00, 0x04, 0, 0, 0, 1]);
    tiff.extend_from_slice(&gps_offset.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(MARKER);
    tiff.push(0);
    // GPS IFD: LatitudeRef 'N', Latitude (3 rationals), LongitudeRef 'E', Longitude.
    let rationals = gps_offset + 2 + 4 * 12 + 4;
    tiff.extend_from_slice(&4u16.to_be_bytes());
    tiff.extend_from_slice(&[0x00, 0x01, 0x00, 0x02, 0, 0, 0, 2, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&[0x00, 0x02, 0x00, 0x05, 0, 0, 0, 3]);
    tiff.extend_from_slice(&rationals.to_be_bytes());
    tiff.extend_from_slice(&[0x00, 0x03, 0x00, 0x02, 0, 0, 0, 2, b'E', 0, 0, 0]);
    tiff.extend_from_slice(&[0x00, 0x04, 0x00, 0x05, 0, 0, 0, 3]);
    tiff.extend_from_slice(&(rationals + 24).to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    for (numerator, denominator) in [(41u32, 1u32), (48, 1), (1234, 100), (129, 1), (42, 1), (5678, 100)] {
        tiff.extend_from_slice(&numerator.to_be_bytes());
        tiff.extend_from_slice(&denominator.to_be_bytes());
    }
    if with_prefix { [b"Exif\0\0".as_slice(), &tiff].concat() } else { tiff }
}

fn pixels(width: usize, height: usize) -> Vec<u8> {
    (0..width * height * 3).map(|i| ((i * 37) % 251) as u8).collect()
}

/// A real, decodable JPEG carrying EXIF+GPS, XMP, IPTC (APP13) and a comment, with extra
/// data after EOI (as phones append).
pub(crate) fn jpeg_with_metadata() -> Vec<u8> {
    let mut plain = Vec::new();
    let encoder = jpeg_encoder::Encoder::new(&mut plain, 80);
    encoder.encode(&pixels(32, 24), 32, 24, jpeg_encoder::ColorType::Rgb).expect("encode");
    let mut jpeg = Jpeg::from_bytes(Bytes::from(plain)).expect("parse");
    let app1 = img_parts::jpeg::JpegSegment::new_with_contents(0xE1, Bytes::from(exif_with_gps(true)));
    let xmp = [b"http://ns.adobe.com/xap/1.0/\0".as_slice(), b"<x:xmpmeta>", MARKER, b"</x:xmpmeta>"].concat();
    let xmp = img_parts::jpeg::JpegSegment::new_with_contents(0xE1, Bytes::from(xmp));
    let iptc =
        img_parts::jpeg::JpegSegment::new_with_contents(0xED, Bytes::from([b"Photoshop 3.0\0".as_slice(), MARKER].concat()));
    let comment = img_parts::jpeg::JpegSegment::new_with_contents(0xFE, Bytes::from(MARKER.to_vec()));
    let segments = jpeg.segments_mut();
    segments.insert(1, app1);
    segments.insert(2, xmp);
    segments.insert(3, iptc);
    segments.insert(4, comment);
    let mut bytes = Vec::new();
    jpeg.encoder().write_to(&mut bytes).expect("write");
    bytes.extend_from_slice(MARKER);
    bytes
}

fn png_with_metadata() -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, 16, 8);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.add_text_chunk("Comment".to_owned(), String::from_utf8_lossy(MARKER).into_owned()).expect("text");
    let mut writer = encoder.write_header().expect("header");
    writer.write_chunk(png::chunk::ChunkType(*b"eXIf"), &exif_with_gps(false)).expect("exif");
    writer.write_chunk(png::chunk::ChunkType(*b"tIME"), &[0x07, 0xE3, 3, 14, 12, 0, 0]).expect("time");
    writer.write_image_data(&pixels(16, 8)).expect("pixels");
    writer.finish().expect("finish");
    bytes.extend_from_slice(MARKER);
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// Strips `input` feeding it in pieces of the given sizes (cycled).
fn strip_in_pieces(input: &[u8], sizes: &[usize]) -> Result<(Vec<u8>, StripReport), ModelError> {
    let mut stripper = Stripper::new();
    let mut out = Vec::new();
    let mut rest = input;
    let mut index = 0;
    while !rest.is_empty() {
        let size = sizes[index % sizes.len()].clamp(1, rest.len());
        stripper.feed(&rest[..size], &mut out)?;
        rest = &rest[size..];
        index += 1;
    }
    let report = stripper.finish(&mut out)?;
    Ok((out, report))
}

fn check_strip_jpeg(input: &[u8], sizes: &[usize]) {
    let (out, report) = strip_in_pieces(input, sizes).expect("strip");
    assert_eq!(report.format, ImageFormat::Jpeg);
    assert_eq!(report.removed_parts, 4);
    assert_eq!(report.removed_bytes as usize, input.len() - out.len());
    assert!(!contains(&out, MARKER), "marker survived");
    assert!(!contains(&out, b"Exif"), "EXIF survived");
    // Same structure as the input minus the dropped segments, per an independent parser.
    let before = Jpeg::from_bytes(Bytes::from(input.to_vec())).expect("parse input");
    let after = Jpeg::from_bytes(Bytes::from(out.clone())).expect("parse output");
    let kept: Vec<_> = before.segments().iter().filter(|s| ![0xE1, 0xED, 0xFE].contains(&s.marker())).collect();
    let got: Vec<_> = after.segments().iter().collect();
    assert_eq!(kept.len(), got.len());
    for (a, b) in kept.iter().zip(&got) {
        assert_eq!(a.marker(), b.marker());
        assert_eq!(a.contents(), b.contents());
    }
    // Pixels identical.
    let decode = |bytes: &[u8]| jpeg_decoder::Decoder::new(bytes).decode().expect("decode");
    assert_eq!(decode(input), decode(&out));
}

#[test]
fn jpeg_metadata_is_removed_losslessly() {
    let input = jpeg_with_metadata();
    assert!(contains(&input, MARKER));
    check_strip_jpeg(&input, &[input.len()]);
    check_strip_jpeg(&input, &[1]);
    check_strip_jpeg(&input, &[3, 7, 1, 64]);
}

#[test]
fn png_metadata_is_removed_losslessly() {
    let input = png_with_metadata();
    for sizes in [vec![input.len()], vec![1], vec![5, 13, 2]] {
        let (out, report) = strip_in_pieces(&input, &sizes).expect("strip");
        assert_eq!(report.format, ImageFormat::Png);
        assert_eq!(report.removed_parts, 3, "tEXt, eXIf, tIME");
        assert!(!contains(&out, MARKER));
        let after = Png::from_bytes(Bytes::from(out.clone())).expect("parse output");
        let kinds: Vec<[u8; 4]> = after.chunks().iter().map(|chunk| chunk.kind()).collect();
        assert_eq!(kinds, [*b"IHDR", *b"IDAT", *b"IEND"]);
        let decode = |bytes: &[u8]| {
            let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("info");
            let mut buffer = vec![0; reader.output_buffer_size().expect("size")];
            reader.next_frame(&mut buffer).expect("frame");
            buffer
        };
        assert_eq!(decode(&input), decode(&out));
    }
}

#[test]
fn other_files_pass_through_unchanged() {
    for input in [b"".to_vec(), b"abc".to_vec(), b"%PDF-1.7 hello".to_vec(), vec![0xFF, 0xD8], (0..=255).collect()] {
        let (out, report) = strip_in_pieces(&input, &[2]).unwrap_or_else(|_| panic!("strip {input:?}"));
        assert_eq!(out, input);
        assert_eq!(report.format, ImageFormat::Other);
        assert_eq!(report.removed_bytes, 0);
    }
}

#[test]
fn broken_images_are_refused() {
    let jpeg = jpeg_with_metadata();
    let png = png_with_metadata();
    let first_segment_end = 4 + usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
    let eoi = jpeg.windows(2).rposition(|w| w == [0xFF, 0xD9]).expect("EOI");
    let cases: Vec<Vec<u8>> = vec![
        jpeg[..jpeg.len() / 2].to_vec(),                          // cut in the middle
        jpeg[..eoi].to_vec(),                                     // no EOI
        [&jpeg[..2], &[0xFF, 0xE1, 0x00, 0x01][..]].concat(),     // segment length < 2
        [&jpeg[..first_segment_end], &[0x12, 0x34][..]].concat(), // not a marker
        png[..png.len() / 2].to_vec(),                            // cut
        [&png[..8], &[0xFF, 0xFF, 0xFF, 0xFF, b'I', b'D', b'A', b'T'][..]].concat(), // absurd length
        [&png[..8], &[0, 0, 0, 0, b'X', b'Y', b'Z', b'W', 0, 0, 0, 0][..], &png[8..]].concat(), // unknown critical
    ];
    for (index, input) in cases.into_iter().enumerate() {
        assert_eq!(strip_in_pieces(&input, &[7]).map(|_| ()), Err(ModelError::ImageUnparseable), "case {index}");
        let mut reader = StrippingReader::new(input.as_slice());
        let mut sink = Vec::new();
        let error = reader.read_to_end(&mut sink).expect_err("refused");
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(reader.error(), Some(&ModelError::ImageUnparseable));
    }
}

#[test]
fn the_reader_streams_in_bounded_pieces() {
    let input = jpeg_with_metadata();
    let mut reader = StrippingReader::new(input.as_slice());
    let mut out = Vec::new();
    let mut piece = [0u8; 100];
    loop {
        let read = reader.read(&mut piece).expect("read");
        if read == 0 {
            break;
        }
        out.extend_from_slice(&piece[..read]);
    }
    let (expected, report) = strip_in_pieces(&input, &[input.len()]).expect("strip");
    assert_eq!(out, expected);
    assert_eq!(reader.report(), Some(report));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_piece_sizes_give_the_same_output(sizes in proptest::collection::vec(1usize..300, 1..8)) {
        let input = jpeg_with_metadata();
        let (whole, _) = strip_in_pieces(&input, &[input.len()]).expect("strip");
        let (pieces, _) = strip_in_pieces(&input, &sizes).expect("strip");
        prop_assert_eq!(whole, pieces);
    }

    #[test]
    fn arbitrary_bytes_never_panic(mut bytes in proptest::collection::vec(any::<u8>(), 0..400), kind in 0u8..3) {
        let prefix: &[u8] = match kind {
            0 => &[0xFF, 0xD8, 0xFF],
            1 => PNG_SIGNATURE,
            _ => &[],
        };
        bytes.splice(0..0, prefix.iter().copied());
        let _ = strip_in_pieces(&bytes, &[13]);
    }
}

/// The fuzz target's seeds (`fuzz/seeds/strip/`): a JPEG and a PNG carrying metadata, each
/// behind the selector byte the target reads first. Rewritten with `CAIRN_UPDATE_FIXTURES=1`.
#[test]
fn fuzz_seeds_are_current() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/strip");
    for (name, image) in [("jpeg_with_metadata.bin", jpeg_with_metadata()), ("png_with_metadata.bin", png_with_metadata())] {
        let mut seed = vec![7u8];
        seed.extend_from_slice(&image);
        let path = dir.join(name);
        if std::env::var_os("CAIRN_UPDATE_FIXTURES").is_some() {
            std::fs::create_dir_all(&dir).expect("seeds folder");
            std::fs::write(&path, &seed).expect("write seed");
        }
        assert_eq!(std::fs::read(&path).expect("seed"), seed, "{name} is stale: regenerate the seeds");
    }
}

#[test]
fn formats_whose_metadata_cannot_be_removed_are_recognised() {
    use crate::unremovable_metadata_format as kind;
    assert_eq!(kind(b"\0\0\0\x18ftypheic\0\0\0\0"), Some("heif"));
    assert_eq!(kind(b"\0\0\0\x1cftypavif\0\0\0\0"), Some("heif"));
    assert_eq!(kind(b"\0\0\0\x20ftypisom\0\0\x02\0"), Some("mp4"));
    assert_eq!(kind(b"\0\0\0\x1cftypM4A \0\0\0\0"), Some("mp4"));
    assert_eq!(kind(b"\0\0\0\x08wide\0\0\0\0"), Some("quicktime"));
    assert_eq!(kind(b"RIFF\x24\0\0\0WEBPVP8 "), Some("webp"));
    assert_eq!(kind(b"II*\0\x08\0\0\0"), Some("tiff"));
    assert_eq!(kind(b"MM\0*\0\0\0\x08"), Some("tiff"));
    assert_eq!(kind(b"%PDF-1.7\n"), Some("pdf"));
    // What Cairn strips, and what holds no such metadata, are not.
    assert_eq!(kind(b"\xFF\xD8\xFF\xE0\0\x10JFIF"), None);
    assert_eq!(kind(b"\x89PNG\r\n\x1a\n\0\0\0\x0d"), None);
    assert_eq!(kind(b"RIFF\x24\0\0\0WAVEfmt "), None);
    assert_eq!(kind(b"plain text notes"), None);
    assert_eq!(kind(b""), None);
}
