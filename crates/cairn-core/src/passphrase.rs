use crate::CoreError;

/// Minimum length of a new passphrase, in characters (not bytes: a Hangul syllable is one).
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// Refuses passphrases too short to resist guessing even behind Argon2id.
pub fn check_new_passphrase(passphrase: &str) -> Result<(), CoreError> {
    let chars: Vec<char> = passphrase.trim().chars().collect();
    let distinct = {
        let mut sorted = chars.clone();
        sorted.sort_unstable();
        sorted.dedup();
        sorted.len()
    };
    if chars.len() < MIN_PASSPHRASE_CHARS || distinct < 5 {
        return Err(CoreError::WeakPassphrase { min: MIN_PASSPHRASE_CHARS });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters() {
        assert!(check_new_passphrase("short").is_err());
        assert!(check_new_passphrase("aaaaaaaaaaaaaaaa").is_err());
        assert!(check_new_passphrase("   padded    ").is_err());
        assert!(check_new_passphrase("압록강 건너 새벽 세시").is_ok());
        assert!(check_new_passphrase("river crossing dawn").is_ok());
    }
}
