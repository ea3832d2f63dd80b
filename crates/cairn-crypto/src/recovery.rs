//! The recovery code: shown once at vault creation, written on paper, opens its own keyslot.

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{CryptoError, random::fill_random};

/// Crockford base32: no I, L, O, U, so handwriting is unambiguous.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Random symbols (5 bits each: 150 bits of entropy).
const RANDOM_SYMBOLS: usize = 30;
/// Check symbols appended, so a typo is caught before a slow unlock attempt.
const CHECK_SYMBOLS: usize = 2;
const GROUP: usize = 4;

/// A vault recovery code, e.g. `7K2M-…` (8 groups of 4 symbols).
pub struct RecoveryCode(SecretString);

impl RecoveryCode {
    /// A fresh random recovery code.
    pub fn generate() -> Self {
        let mut random = Zeroizing::new([0u8; RANDOM_SYMBOLS]);
        fill_random(random.as_mut());
        let mut symbols = Zeroizing::new(String::with_capacity(RANDOM_SYMBOLS + CHECK_SYMBOLS));
        for byte in random.iter() {
            symbols.push(ALPHABET[usize::from(byte & 31)] as char);
        }
        let check = check_symbols(&symbols);
        symbols.push_str(&check);
        Self(SecretString::from(symbols.as_str()))
    }

    /// Parses a code as a person typed it: case, spaces and dashes do not matter, and the
    /// look-alikes O/I/L are read as 0/1/1.
    pub fn parse(typed: &str) -> Result<Self, CryptoError> {
        let malformed = CryptoError::Malformed { what: "recovery code" };
        let mut symbols = Zeroizing::new(String::with_capacity(RANDOM_SYMBOLS + CHECK_SYMBOLS));
        for c in typed.chars() {
            let c = match c.to_ascii_uppercase() {
                '-' | ' ' | '\t' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c if ALPHABET.contains(&(c as u8)) && c.is_ascii() => c,
                _ => return Err(malformed),
            };
            symbols.push(c);
        }
        if symbols.len() != RANDOM_SYMBOLS + CHECK_SYMBOLS {
            return Err(malformed);
        }
        let (body, check) = symbols.split_at(RANDOM_SYMBOLS);
        if *check_symbols(body) != *check {
            return Err(malformed);
        }
        Ok(Self(SecretString::from(symbols.as_str())))
    }

    /// The code grouped for display (`XXXX-XXXX-…`). Show it once; never log it.
    pub fn display_grouped(&self) -> Zeroizing<String> {
        let symbols = self.0.expose_secret();
        let mut out = Zeroizing::new(String::with_capacity(symbols.len() + symbols.len() / GROUP));
        for (i, c) in symbols.chars().enumerate() {
            if i > 0 && i % GROUP == 0 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }

    /// The canonical form fed to the key derivation.
    pub(crate) fn canonical(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(<redacted>)")
    }
}

fn check_symbols(body: &str) -> Zeroizing<String> {
    let digest = Sha256::digest(body.as_bytes());
    let bits = u16::from_be_bytes([digest[0], digest[1]]);
    let mut out = Zeroizing::new(String::with_capacity(CHECK_SYMBOLS));
    out.push(ALPHABET[usize::from(bits >> 11)] as char);
    out.push(ALPHABET[usize::from((bits >> 6) & 31)] as char);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_round_trip_through_sloppy_typing() {
        for _ in 0..100 {
            let code = RecoveryCode::generate();
            let shown = code.display_grouped();
            assert_eq!(shown.len(), 32 + 7);
            let sloppy = shown.to_lowercase().replace('-', " ").replace('0', "o").replace('1', "l");
            let parsed = RecoveryCode::parse(&sloppy).expect("parse");
            assert_eq!(parsed.canonical(), code.canonical());
        }
    }

    #[test]
    fn a_single_typo_is_caught_by_the_check_symbols() {
        let code = RecoveryCode::generate();
        let canonical = code.canonical().to_owned();
        let mut caught = 0;
        for position in 0..RANDOM_SYMBOLS {
            let mut typo: Vec<u8> = canonical.clone().into_bytes();
            typo[position] = if typo[position] == b'A' { b'B' } else { b'A' };
            let typo = String::from_utf8(typo).expect("ascii");
            if RecoveryCode::parse(&typo).is_err() {
                caught += 1;
            }
        }
        // 10 check bits: a random typo slips through with probability 1/1024.
        assert!(caught >= RANDOM_SYMBOLS - 1, "only {caught} typos caught");
        assert!(RecoveryCode::parse("too-short").is_err());
        assert!(RecoveryCode::parse(&"U".repeat(32)).is_err());
    }
}
