//! Field checks shared by every edit. Each returns the cleaned value or a specific error.

use crate::{ModelError, VocabKind, check_term};

/// Longest single-line field (titles, pseudonyms, places, names), in characters.
pub const MAX_LINE_CHARS: usize = 300;
/// Longest free text (notes, descriptions, consequences), in characters.
pub const MAX_TEXT_CHARS: usize = 100_000;
/// Longest narrative or transcript, in characters.
pub const MAX_NARRATIVE_CHARS: usize = 2_000_000;

/// A required single line: trimmed, non-empty, no control characters, at most
/// [`MAX_LINE_CHARS`].
pub fn required_line(field: &'static str, value: &str) -> Result<String, ModelError> {
    let value = optional_line(field, value)?;
    if value.is_empty() {
        return Err(ModelError::Empty { field });
    }
    Ok(value)
}

/// An optional single line (empty allowed).
pub fn optional_line(field: &'static str, value: &str) -> Result<String, ModelError> {
    let value = value.trim();
    if value.chars().any(char::is_control) {
        return Err(ModelError::NotSingleLine { field });
    }
    if value.chars().count() > MAX_LINE_CHARS {
        return Err(ModelError::TooLong { field, max: MAX_LINE_CHARS });
    }
    Ok(value.to_owned())
}

/// Free text of at most `max` characters; `required` refuses blank text.
pub fn text(field: &'static str, value: &str, max: usize, required: bool) -> Result<String, ModelError> {
    if required && value.trim().is_empty() {
        return Err(ModelError::Empty { field });
    }
    if value.chars().count() > max {
        return Err(ModelError::TooLong { field, max });
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(ModelError::NotSingleLine { field });
    }
    Ok(value.to_owned())
}

/// A vocabulary code, checked against its vocabulary.
pub fn term(kind: VocabKind, value: &str) -> Result<String, ModelError> {
    let value = value.trim();
    check_term(kind, value)?;
    Ok(value.to_owned())
}

/// A language tag such as `ko`, `en`, `zh`, `ko-KP`: 2–3 letters, then optional
/// subtags of 2–8 letters or digits. Stored in lower case (the region too, for stability).
pub fn language(value: &str) -> Result<String, ModelError> {
    let value = value.trim().to_ascii_lowercase();
    let mut parts = value.split('-');
    let primary = parts.next().unwrap_or_default();
    let primary_ok = (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase());
    let rest_ok = parts.all(|part| (2..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphanumeric()));
    if primary_ok && rest_ok { Ok(value) } else { Err(ModelError::InvalidLanguage) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_trimmed_and_checked() {
        assert_eq!(required_line("title", "  사건 1  "), Ok("사건 1".to_owned()));
        assert_eq!(required_line("title", "   "), Err(ModelError::Empty { field: "title" }));
        assert_eq!(required_line("title", "a\nb"), Err(ModelError::NotSingleLine { field: "title" }));
        assert_eq!(
            required_line("title", &"가".repeat(MAX_LINE_CHARS + 1)),
            Err(ModelError::TooLong { field: "title", max: MAX_LINE_CHARS })
        );
        assert!(required_line("title", &"가".repeat(MAX_LINE_CHARS)).is_ok());
        assert_eq!(optional_line("place", ""), Ok(String::new()));
    }

    #[test]
    fn texts_and_languages_are_checked() {
        assert!(text("note", "line one\nline two", 100, true).is_ok());
        assert_eq!(text("note", " \n ", 100, true), Err(ModelError::Empty { field: "note" }));
        assert_eq!(text("note", "abc", 2, false), Err(ModelError::TooLong { field: "note", max: 2 }));
        assert_eq!(text("note", "a\u{0}b", 100, false), Err(ModelError::NotSingleLine { field: "note" }));
        assert_eq!(language("ko"), Ok("ko".to_owned()));
        assert_eq!(language("ko-KP"), Ok("ko-kp".to_owned()));
        assert_eq!(language("korean language"), Err(ModelError::InvalidLanguage));
        assert_eq!(language("k"), Err(ModelError::InvalidLanguage));
        assert_eq!(term(VocabKind::Role, " victim "), Ok("victim".to_owned()));
    }
}
