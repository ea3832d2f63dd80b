/// Fills `dest` from the operating system's CSPRNG.
///
/// # Panics
/// If the OS random source fails, which on supported platforms means the system is broken;
/// continuing with weak randomness would be worse than stopping.
pub(crate) fn fill_random(dest: &mut [u8]) {
    getrandom::fill(dest).expect("the operating system's random number generator failed");
}

/// `N` random bytes from the OS CSPRNG.
pub fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    fill_random(&mut out);
    out
}

/// A random 128-bit identifier (cases, documents, blobs, devices, vaults).
pub fn random_id() -> [u8; 16] {
    random_array()
}
