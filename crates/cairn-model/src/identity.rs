//! Identity fields sealed for HQ (DESIGN §1 T3, §4): a person's real name, date of birth,
//! home town, family and contact never enter a case document as text. They are checked as
//! text here, then handed to an [`IdentitySealer`] (cairn-core, which seals them with
//! cairn-crypto to HQ's intake key and the roster's identity readers), and only the sealed
//! bytes are written. This crate calls no cryptography: the sealer is a trait, and the
//! sealed bytes are opaque here.
//!
//! Edits of a sealed field are keep (`None`), clear (an empty value) and replace (a new
//! value, sealed anew): a device that cannot open a value can still replace or clear it. A
//! replacement is written unless the sealer can open the current value and finds it equal
//! ([`IdentitySealer::holds`]): two sealings of the same text differ, and a device that
//! cannot read the old value cannot tell whether it changed.

use crate::{Identity, IdentityField, IdentityValue, ModelError, ObjectId, SealedIdentity, Sensitive, validate};

/// Seals one identity field of one person for the case being edited (implemented by
/// cairn-core; the case is the one it was made for).
pub trait IdentitySealer {
    /// The sealed bytes of `value` (already checked, never empty) for `field` of `person`.
    fn seal(&mut self, person: &ObjectId, field: IdentityField, value: &Sensitive) -> Result<Vec<u8>, ModelError>;

    /// Whether `current` (the value `field` of `person` holds now) is already `value`. A
    /// sealer that can open it may say so, and then an edit writes nothing; one that cannot
    /// says `false` (the default), and a replacement is written.
    fn holds(&mut self, _person: &ObjectId, _field: IdentityField, _current: &IdentityValue, _value: &Sensitive) -> bool {
        false
    }
}

impl IdentityField {
    /// Checks a value of this field as typed: family is free text (several people, several
    /// lines); the others are single lines. Returns it normalised (trimmed).
    pub fn check(self, value: &Sensitive) -> Result<Sensitive, ModelError> {
        let line = |label: &'static str| validate::optional_line(label, value.expose()).map(Sensitive);
        match self {
            IdentityField::RealName => line("real name"),
            IdentityField::BirthDate => line("date of birth"),
            IdentityField::HomeTown => line("home town"),
            IdentityField::Family => {
                Ok(Sensitive(validate::text("family", value.expose(), validate::MAX_TEXT_CHARS, false)?))
            }
            IdentityField::Contact => line("contact"),
        }
    }
}

/// Checks every field of a new person's identity (see [`IdentityField::check`]).
pub fn check_identity(identity: &Identity) -> Result<Identity, ModelError> {
    let mut checked = Identity::default();
    for field in IdentityField::ALL {
        *checked.get_mut(field) = field.check(identity.get(field))?;
    }
    Ok(checked)
}

/// Seals the recorded fields of a checked identity; empty ones stay empty.
pub(crate) fn seal_identity(
    person: &ObjectId,
    identity: &Identity,
    sealer: &mut dyn IdentitySealer,
) -> Result<SealedIdentity, ModelError> {
    let mut sealed = SealedIdentity::default();
    for field in IdentityField::ALL {
        let value = identity.get(field);
        if value.is_set() {
            let bytes = sealer.seal(person, field, value)?;
            if bytes.is_empty() {
                return Err(ModelError::SealingFailed);
            }
            *sealed.get_mut(field) = IdentityValue::Sealed(bytes);
        }
    }
    Ok(sealed)
}

impl SealedIdentity {
    /// The value of `field`, to set.
    pub(crate) fn get_mut(&mut self, field: IdentityField) -> &mut IdentityValue {
        match field {
            IdentityField::RealName => &mut self.real_name,
            IdentityField::BirthDate => &mut self.birth_date,
            IdentityField::HomeTown => &mut self.home_town,
            IdentityField::Family => &mut self.family,
            IdentityField::Contact => &mut self.contact,
        }
    }
}
