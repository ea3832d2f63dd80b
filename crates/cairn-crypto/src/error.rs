use thiserror::Error;

/// Everything that can go wrong in a cryptographic operation.
///
/// Messages never contain key material, plaintext or user data; `code()` is stable for UIs.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoError {
    /// No keyslot opened with the given secret: the passphrase or recovery code is wrong
    /// (or the header was altered, which is indistinguishable by design).
    #[error("the passphrase or recovery code does not open this vault")]
    WrongSecret,
    /// Authentication of sealed data failed: it was altered, truncated, moved to another
    /// place, or sealed with another key.
    #[error("encrypted data failed authentication (altered, moved or wrong key)")]
    Tampered,
    /// The bytes are not in a format this version understands.
    #[error("malformed {what}")]
    Malformed {
        /// Which structure was malformed (a fixed label, never user data).
        what: &'static str,
    },
    /// The format version is newer (or older) than this build can read.
    #[error("unsupported {what} format version {version}")]
    UnsupportedVersion {
        /// Which format.
        what: &'static str,
        /// The version found.
        version: u16,
    },
    /// Key-derivation parameters are outside the accepted range (a forged header could
    /// otherwise exhaust memory or time).
    #[error("key-derivation parameters out of the accepted range")]
    KdfParamsOutOfRange,
    /// The data is larger than the format allows.
    #[error("{what} is too large")]
    TooLarge {
        /// Which structure.
        what: &'static str,
    },
    /// A signature does not verify: the signed bytes were altered, or another key (or the
    /// same key for another purpose) made it.
    #[error("the signature is not valid")]
    BadSignature,
    /// A public key is malformed, not canonical, or weak (of small order).
    #[error("invalid public key")]
    InvalidPublicKey,
}

impl CryptoError {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            CryptoError::WrongSecret => "wrong_secret",
            CryptoError::Tampered => "tampered",
            CryptoError::Malformed { .. } => "malformed",
            CryptoError::UnsupportedVersion { .. } => "unsupported_version",
            CryptoError::KdfParamsOutOfRange => "kdf_params_out_of_range",
            CryptoError::TooLarge { .. } => "too_large",
            CryptoError::BadSignature => "bad_signature",
            CryptoError::InvalidPublicKey => "invalid_public_key",
        }
    }
}
