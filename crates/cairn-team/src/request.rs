//! Enrollment requests: what a new device hands HQ (as a file or a QR code) to be enrolled.
//!
//! Format v1 (integers little-endian), 147 to 211 bytes:
//!
//! ```text
//! 0    u8    format version (1)
//! 1    u8    kind (1 = enrollment request)
//! 2    [16]  device id
//! 18   [32]  Ed25519 signing public key
//! 50   [32]  X25519 agreement public key
//! 82   u8    name length n (0..=64)
//! 83   [n]   requested device name, UTF-8, no control or direction-override characters
//! 83+n [64]  Ed25519 self-signature by the signing key, purpose "enrollment-request/v1",
//!            over bytes [0, 83+n)
//! ```
//!
//! The self-signature proves the requester holds the signing key and binds the agreement key
//! and name to it; it does *not* prove who the requester is. That is what comparing the
//! fingerprint in person is for.
//!
//! Text form (for a QR code, alphanumeric mode): `CAIRN-ENROLL1:` followed by the bytes in
//! RFC 4648 base32, upper case, without padding. Whitespace is ignored when reading.

use cairn_crypto::{
    AgreementPublicKey, CryptoError, MAX_LABEL_LEN, PUBLIC_KEY_LEN, SIGNATURE_LEN, Signature, SignaturePurpose,
    SigningPublicKey, SigningSecretKey,
};
use data_encoding::BASE32_NOPAD;

use crate::{DeviceId, DeviceKeys, TeamError, check_name, codec::Reader};

const FORMAT_V1: u8 = 1;
pub(crate) const KIND_REQUEST: u8 = 1;
const WHAT: &str = "enrollment request";
/// Prefix of the text (QR) form of an enrollment request.
pub const REQUEST_TEXT_PREFIX: &str = "CAIRN-ENROLL1:";
/// Shortest encoded request (empty name).
pub const MIN_REQUEST_LEN: usize = 2 + 16 + 2 * PUBLIC_KEY_LEN + 1 + SIGNATURE_LEN;
/// Longest encoded request.
pub const MAX_REQUEST_LEN: usize = MIN_REQUEST_LEN + MAX_LABEL_LEN;
/// Longest text form accepted (generous, for whitespace and line breaks).
pub const MAX_REQUEST_TEXT_LEN: usize = 1024;

/// A verified enrollment request: the self-signature matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentRequest {
    keys: DeviceKeys,
    requested_name: String,
}

impl EnrollmentRequest {
    /// The device's id and public keys.
    pub fn keys(&self) -> DeviceKeys {
        self.keys
    }

    /// The name the device asked for (HQ chooses the name that goes on the roster).
    pub fn requested_name(&self) -> &str {
        &self.requested_name
    }

    /// Encodes and self-signs a request for this device.
    pub fn create(
        device_id: DeviceId,
        signing: &SigningSecretKey,
        agreement: &AgreementPublicKey,
        requested_name: &str,
    ) -> Result<Vec<u8>, TeamError> {
        check_name(requested_name, true)?;
        let mut out = Vec::with_capacity(MAX_REQUEST_LEN);
        out.push(FORMAT_V1);
        out.push(KIND_REQUEST);
        out.extend_from_slice(&device_id.0);
        out.extend_from_slice(signing.public_key().as_bytes());
        out.extend_from_slice(agreement.as_bytes());
        out.push(u8::try_from(requested_name.len()).map_err(|_| TeamError::InvalidName)?);
        out.extend_from_slice(requested_name.as_bytes());
        let signature = signing.sign(SignaturePurpose::EnrollmentRequest, &out);
        out.extend_from_slice(&signature.to_bytes());
        Ok(out)
    }

    /// Parses a request and checks its self-signature.
    pub fn parse(bytes: &[u8]) -> Result<EnrollmentRequest, TeamError> {
        if bytes.len() > MAX_REQUEST_LEN {
            return Err(TeamError::TooLarge { what: WHAT });
        }
        let mut reader = Reader::new(bytes, WHAT);
        let version = reader.u8()?;
        if version != FORMAT_V1 {
            return Err(TeamError::UnsupportedVersion { what: WHAT, version });
        }
        if reader.u8()? != KIND_REQUEST {
            return Err(TeamError::WrongKind { expected: "an enrollment request" });
        }
        let device_id = DeviceId(reader.array()?);
        let signing = reader.array()?;
        let agreement = reader.array()?;
        let name_len = usize::from(reader.u8()?);
        if name_len > MAX_LABEL_LEN {
            return Err(TeamError::Malformed { what: "enrollment request name" });
        }
        let name = reader.take(name_len)?;
        let signed_len = reader.position();
        let signature = Signature::from_bytes(reader.array()?);
        if reader.remaining() != 0 {
            return Err(TeamError::Malformed { what: WHAT });
        }
        let requested_name =
            std::str::from_utf8(name).map_err(|_| TeamError::Malformed { what: "enrollment request name" })?.to_owned();
        check_name(&requested_name, true).map_err(|_| TeamError::Malformed { what: "enrollment request name" })?;
        let signing =
            SigningPublicKey::from_bytes(signing).map_err(|_| TeamError::Malformed { what: "enrollment request key" })?;
        let agreement = AgreementPublicKey::from_bytes(agreement)
            .map_err(|_| TeamError::Malformed { what: "enrollment request key" })?;
        signing.verify(SignaturePurpose::EnrollmentRequest, &bytes[..signed_len], &signature).map_err(
            |error| match error {
                CryptoError::BadSignature => TeamError::BadRequestSignature,
                _ => TeamError::Malformed { what: WHAT },
            },
        )?;
        Ok(EnrollmentRequest { keys: DeviceKeys { device_id, signing, agreement }, requested_name })
    }

    /// The text (QR code) form of encoded request bytes.
    pub fn to_text(bytes: &[u8]) -> String {
        format!("{REQUEST_TEXT_PREFIX}{}", BASE32_NOPAD.encode(bytes))
    }

    /// The request bytes from its text form (whitespace ignored, letters in any case).
    pub fn from_text(text: &str) -> Result<Vec<u8>, TeamError> {
        if text.len() > MAX_REQUEST_TEXT_LEN {
            return Err(TeamError::TooLarge { what: WHAT });
        }
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        let body =
            compact.strip_prefix(REQUEST_TEXT_PREFIX).ok_or(TeamError::WrongKind { expected: "an enrollment request" })?;
        BASE32_NOPAD.decode(body.as_bytes()).map_err(|_| TeamError::Malformed { what: "enrollment request text" })
    }

    /// Reads a request from a file's contents, binary or text form, and verifies it.
    pub fn from_file_contents(contents: &[u8]) -> Result<EnrollmentRequest, TeamError> {
        let trimmed = contents.trim_ascii_start();
        if trimmed.len() >= REQUEST_TEXT_PREFIX.len()
            && trimmed[..REQUEST_TEXT_PREFIX.len()].eq_ignore_ascii_case(REQUEST_TEXT_PREFIX.as_bytes())
        {
            let text =
                std::str::from_utf8(contents).map_err(|_| TeamError::Malformed { what: "enrollment request text" })?;
            return Self::parse(&Self::from_text(text)?);
        }
        Self::parse(contents)
    }
}

#[cfg(test)]
mod tests {
    use cairn_crypto::AgreementSecretKey;

    use super::*;

    fn request(name: &str) -> (Vec<u8>, SigningSecretKey) {
        let signing = SigningSecretKey::generate();
        let agreement = AgreementSecretKey::generate().public_key();
        (EnrollmentRequest::create(DeviceId([4; 16]), &signing, &agreement, name).expect("create"), signing)
    }

    #[test]
    fn round_trip_binary_and_text() {
        for name in ["", "단둥 노트북", &"x".repeat(64)] {
            let (bytes, signing) = request(name);
            assert_eq!(bytes.len(), MIN_REQUEST_LEN + name.len());
            let parsed = EnrollmentRequest::parse(&bytes).expect("parse");
            assert_eq!(parsed.requested_name, name);
            assert_eq!(parsed.keys.signing, signing.public_key());
            assert_eq!(parsed.keys.device_id, DeviceId([4; 16]));
            let text = EnrollmentRequest::to_text(&bytes);
            assert!(text.starts_with(REQUEST_TEXT_PREFIX));
            assert!(
                text.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == ':'),
                "QR alphanumeric"
            );
            assert_eq!(EnrollmentRequest::from_text(&text).expect("text"), bytes);
            let sloppy = format!("  {}\n{}\n", &text[..40].to_lowercase(), &text[40..]);
            assert_eq!(EnrollmentRequest::from_file_contents(sloppy.as_bytes()).expect("file"), parsed);
            assert_eq!(EnrollmentRequest::from_file_contents(&bytes).expect("file"), parsed);
        }
    }

    #[test]
    fn a_request_whose_self_signature_does_not_match_is_refused() {
        let (bytes, _) = request("field laptop");
        // Another key's signature over the same body.
        let mut forged = bytes.clone();
        let other = SigningSecretKey::generate();
        let body_len = forged.len() - SIGNATURE_LEN;
        let signature = other.sign(SignaturePurpose::EnrollmentRequest, &forged[..body_len]);
        forged[body_len..].copy_from_slice(&signature.to_bytes());
        assert_eq!(EnrollmentRequest::parse(&forged), Err(TeamError::BadRequestSignature));
        // An attacker swapping in their own agreement key (to receive the team key).
        let mut swapped = bytes.clone();
        swapped[50..82].copy_from_slice(AgreementSecretKey::generate().public_key().as_bytes());
        assert_eq!(EnrollmentRequest::parse(&swapped), Err(TeamError::BadRequestSignature));
        // A signature made for another purpose over the same bytes.
        let (bytes, signing) = request("field laptop");
        let mut wrong_purpose = bytes.clone();
        let signature = signing.sign(SignaturePurpose::Roster, &wrong_purpose[..body_len]);
        wrong_purpose[body_len..].copy_from_slice(&signature.to_bytes());
        assert_eq!(EnrollmentRequest::parse(&wrong_purpose), Err(TeamError::BadRequestSignature));
    }

    #[test]
    fn every_flipped_byte_and_every_truncation_is_refused() {
        let (bytes, _) = request("laptop 7");
        for i in 0..bytes.len() {
            for bit in [0x01u8, 0x80] {
                let mut tampered = bytes.clone();
                tampered[i] ^= bit;
                assert!(EnrollmentRequest::parse(&tampered).is_err(), "byte {i} bit {bit:#x} accepted");
            }
        }
        for len in 0..bytes.len() {
            let outcome = EnrollmentRequest::parse(&bytes[..len]);
            assert!(
                matches!(
                    outcome,
                    Err(TeamError::Truncated { .. } | TeamError::Malformed { .. } | TeamError::BadRequestSignature)
                ),
                "length {len}: {outcome:?}"
            );
        }
        assert_eq!(EnrollmentRequest::parse(&bytes[..40]), Err(TeamError::Truncated { what: WHAT }));
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(EnrollmentRequest::parse(&longer), Err(TeamError::Malformed { what: WHAT }));
        assert_eq!(EnrollmentRequest::parse(&vec![1u8; MAX_REQUEST_LEN + 1]), Err(TeamError::TooLarge { what: WHAT }));
        let mut newer = bytes.clone();
        newer[0] = 2;
        assert_eq!(EnrollmentRequest::parse(&newer), Err(TeamError::UnsupportedVersion { what: WHAT, version: 2 }));
    }

    #[test]
    fn hostile_names_are_refused_on_both_sides() {
        let signing = SigningSecretKey::generate();
        let agreement = AgreementSecretKey::generate().public_key();
        assert_eq!(
            EnrollmentRequest::create(DeviceId([4; 16]), &signing, &agreement, "a\u{1b}[31mred"),
            Err(TeamError::InvalidName)
        );
        // A correctly self-signed request carrying an escape sequence is refused when read.
        let mut body = vec![FORMAT_V1, KIND_REQUEST];
        body.extend_from_slice(&[4; 16]);
        body.extend_from_slice(signing.public_key().as_bytes());
        body.extend_from_slice(agreement.as_bytes());
        body.push(4);
        body.extend_from_slice(b"\x1b[2J");
        let signature = signing.sign(SignaturePurpose::EnrollmentRequest, &body);
        body.extend_from_slice(&signature.to_bytes());
        assert_eq!(EnrollmentRequest::parse(&body), Err(TeamError::Malformed { what: "enrollment request name" }));
    }

    #[test]
    fn text_form_refuses_garbage() {
        assert_eq!(
            EnrollmentRequest::from_text("CAIRN-ROSTER1:AAAA"),
            Err(TeamError::WrongKind { expected: "an enrollment request" })
        );
        assert_eq!(
            EnrollmentRequest::from_text("CAIRN-ENROLL1:not base32!"),
            Err(TeamError::Malformed { what: "enrollment request text" })
        );
        assert_eq!(EnrollmentRequest::from_text(&"A".repeat(2000)), Err(TeamError::TooLarge { what: WHAT }));
    }
}
