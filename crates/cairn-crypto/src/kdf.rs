//! Argon2id key derivation from a passphrase or recovery code, with on-device calibration.

use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Params, Version};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::CryptoError;

/// Argon2id cost parameters, stored (authenticated) in the vault header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

/// Whether a vault uses real or deliberately weak key derivation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KdfProfile {
    /// Calibrated, at least [`KdfParams::FLOOR`].
    Standard,
    /// Tiny parameters for automated tests only; recorded in the header and reported.
    InsecureTestOnly,
}

impl KdfParams {
    /// Lowest parameters accepted for a real vault (RFC 9106 "second recommended").
    pub const FLOOR: KdfParams = KdfParams { memory_kib: 64 * 1024, iterations: 3, parallelism: 4 };
    /// Where calibration starts (DESIGN §3).
    pub const START: KdfParams = KdfParams { memory_kib: 256 * 1024, iterations: 3, parallelism: 4 };
    /// Parameters of the insecure test profile: fast enough for thousands of test unlocks.
    pub const INSECURE_TEST: KdfParams = KdfParams { memory_kib: 64, iterations: 1, parallelism: 1 };
    /// Upper bounds enforced on read, so a forged header cannot exhaust memory or time.
    pub const MAX_MEMORY_KIB: u32 = 2 * 1024 * 1024;
    /// See [`Self::MAX_MEMORY_KIB`].
    pub const MAX_ITERATIONS: u32 = 20;
    /// See [`Self::MAX_MEMORY_KIB`].
    pub const MAX_PARALLELISM: u32 = 16;

    /// Checks the parameters against the caps, and against the floor unless `profile` is the
    /// insecure test profile.
    pub fn validate(&self, profile: KdfProfile) -> Result<(), CryptoError> {
        let within_caps = self.memory_kib <= Self::MAX_MEMORY_KIB
            && (1..=Self::MAX_ITERATIONS).contains(&self.iterations)
            && (1..=Self::MAX_PARALLELISM).contains(&self.parallelism)
            && self.memory_kib >= 8 * self.parallelism;
        let above_floor = match profile {
            KdfProfile::Standard => self.memory_kib >= Self::FLOOR.memory_kib && self.iterations >= Self::FLOOR.iterations,
            KdfProfile::InsecureTestOnly => true,
        };
        if within_caps && above_floor { Ok(()) } else { Err(CryptoError::KdfParamsOutOfRange) }
    }

    /// Derives 32 bytes from `secret` (NFC-normalised first, so the same Korean passphrase
    /// typed through different input methods gives the same key) and `salt`.
    pub(crate) fn derive(&self, secret: &str, salt: &[u8; 16]) -> Result<Zeroizing<[u8; 32]>, CryptoError> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
            .map_err(|_| CryptoError::KdfParamsOutOfRange)?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let normalized = Zeroizing::new(secret.nfc().collect::<String>());
        let mut out = Zeroizing::new([0u8; 32]);
        argon2
            .hash_password_into(normalized.as_bytes(), salt, out.as_mut())
            .map_err(|_| CryptoError::KdfParamsOutOfRange)?;
        Ok(out)
    }
}

/// How long one derivation with `params` takes on this machine (for calibration and benches).
pub fn time_kdf(params: &KdfParams) -> Duration {
    let started = Instant::now();
    let _ = params.derive("timing", &[0u8; 16]);
    started.elapsed()
}

/// Finds Argon2id parameters that take between `target` and 2×`target` on this machine:
/// starting at [`KdfParams::START`], more passes on a fast machine, less memory (never below
/// [`KdfParams::FLOOR`]) on a slow one.
pub fn calibrate_kdf(target: Duration) -> KdfParams {
    let time = time_kdf;
    let mut params = KdfParams::START;
    let mut elapsed = time(&params);
    while elapsed > target * 2 && params.memory_kib / 2 >= KdfParams::FLOOR.memory_kib {
        params.memory_kib /= 2;
        elapsed = time(&params);
    }
    while elapsed < target && params.iterations < KdfParams::MAX_ITERATIONS {
        // Time grows linearly with passes: jump straight to the estimate.
        let per_pass = elapsed / params.iterations;
        let wanted = (target.as_secs_f64() / per_pass.as_secs_f64().max(1e-6)).ceil() as u32;
        params.iterations = wanted.clamp(params.iterations + 1, KdfParams::MAX_ITERATIONS);
        elapsed = time(&params);
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_refuse_forged_parameters() {
        let forged = KdfParams { memory_kib: u32::MAX, iterations: 3, parallelism: 4 };
        assert_eq!(forged.validate(KdfProfile::Standard), Err(CryptoError::KdfParamsOutOfRange));
        let forged = KdfParams { memory_kib: 65536, iterations: 10_000, parallelism: 4 };
        assert_eq!(forged.validate(KdfProfile::Standard), Err(CryptoError::KdfParamsOutOfRange));
        let forged = KdfParams { memory_kib: 65536, iterations: 3, parallelism: 0 };
        assert_eq!(forged.validate(KdfProfile::Standard), Err(CryptoError::KdfParamsOutOfRange));
    }

    #[test]
    fn floor_applies_unless_insecure_profile() {
        assert!(KdfParams::INSECURE_TEST.validate(KdfProfile::Standard).is_err());
        assert!(KdfParams::INSECURE_TEST.validate(KdfProfile::InsecureTestOnly).is_ok());
        assert!(KdfParams::FLOOR.validate(KdfProfile::Standard).is_ok());
        assert!(KdfParams::START.validate(KdfProfile::Standard).is_ok());
    }

    #[test]
    fn nfc_and_nfd_hangul_derive_the_same_key() {
        let composed = "비밀번호 한강";
        let decomposed: String = composed.nfd().collect();
        assert_ne!(composed, decomposed);
        let salt = [7u8; 16];
        let a = KdfParams::INSECURE_TEST.derive(composed, &salt).expect("derive");
        let b = KdfParams::INSECURE_TEST.derive(&decomposed, &salt).expect("derive");
        assert_eq!(*a, *b);
    }

    #[test]
    fn argon2id_known_answer() {
        // RFC 9106 §5.3 uses secret/associated data; this vector (no secret, no AD) was
        // cross-checked against the reference C implementation: `echo -n password |
        // argon2 somesaltsomesalt -id -t 2 -m 6 -p 1 -l 32 -r`.
        let params = KdfParams { memory_kib: 64, iterations: 2, parallelism: 1 };
        let key = params.derive("password", b"somesaltsomesalt").expect("derive");
        assert_eq!(hex::encode(*key), "1a98fba8e6394425c9bdc333a9c750aaf811df070f5fb4a5788e1cf4db5793a1");
    }
}
