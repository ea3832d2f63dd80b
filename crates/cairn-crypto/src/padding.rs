//! Length hiding for sealed records: Padmé padding (Nikitin et al., PETS 2019).
//!
//! Padmé leaks only O(log log L) bits of a length L, with at most ~12% overhead,
//! so a ciphertext's size says little about how long a testimony is.

/// Smallest padded size; short notes all look alike.
const MIN_PADDED: usize = 256;

/// The padded size for a message of `len` bytes.
pub(crate) fn padded_len(len: usize) -> usize {
    if len <= MIN_PADDED {
        return MIN_PADDED;
    }
    let e = usize::BITS - 1 - len.leading_zeros(); // floor(log2 len)
    let s = u32::BITS - e.leading_zeros(); // floor(log2 e) + 1
    let last_bits = e - s;
    let mask = (1usize << last_bits) - 1;
    (len + mask) & !mask
}

#[cfg(test)]
mod tests {
    use super::padded_len;

    #[test]
    fn padme_is_monotone_and_bounded() {
        let mut previous = 0;
        for len in 0..200_000 {
            let padded = padded_len(len);
            assert!(padded >= len);
            assert!(padded >= previous, "not monotone at {len}");
            assert!(len <= 256 || padded - len <= len / 8 + 1, "overhead too large at {len}");
            previous = padded;
        }
        assert_eq!(padded_len(0), 256);
        assert_eq!(padded_len(257), 272);
        assert_eq!(padded_len(1_000_000), 1_015_808);
    }
}
