//! Identifiers: 16 random bytes (made by the caller with `cairn_crypto::random_id`), shown as
//! 32 lower-case hexadecimal characters. Documents use the hex form as map keys.

use crate::ModelError;

/// A 128-bit identifier of a case, document, person, event, act, note or attachment.
pub type ObjectId = [u8; 16];

/// The 32-character lower-case hex form of an id.
pub fn id_to_hex(id: &ObjectId) -> String {
    hex::encode(id)
}

/// Parses a 32-character hex id (either case).
pub fn parse_id(text: &str) -> Result<ObjectId, ModelError> {
    let mut id = [0u8; 16];
    hex::decode_to_slice(text.trim(), &mut id).map_err(|_| ModelError::InvalidId)?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_hex() {
        let id = [0x00, 0x01, 0xab, 0xff, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0];
        let hex = id_to_hex(&id);
        assert_eq!(hex, "0001abff102030405060708090a0b0c0");
        assert_eq!(parse_id(&hex), Ok(id));
        assert_eq!(parse_id(&hex.to_uppercase()), Ok(id));
        assert_eq!(parse_id("0001"), Err(ModelError::InvalidId));
        assert_eq!(parse_id("zz01abff102030405060708090a0b0c0"), Err(ModelError::InvalidId));
    }
}
