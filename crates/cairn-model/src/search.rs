//! What goes into the search index, and how a query is split into terms.
//!
//! The index itself lives in the encrypted database (cairn-store: an FTS5 table with the
//! `trigram` tokenizer). Trigrams find any substring of three or more characters, which is
//! what Korean needs: particles attach to words (`보위부에서`, `고문을`), so a word is rarely a
//! token of its own. Terms shorter than three characters (many Korean words are two
//! syllables: `고문`, `탈북`) cannot use trigrams and are matched by a substring scan.
//! Text is normalised to NFC on both sides, so decomposed Hangul (as some systems type it)
//! matches composed Hangul. Sensitive identity fields are never indexed.

use unicode_normalization::UnicodeNormalization;

use crate::{CaseRecord, TestimonyRecord};

/// Most terms a query may have.
pub const MAX_QUERY_TERMS: usize = 8;

/// One indexed text of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchEntry {
    /// Which field it comes from (`title`, `tags`, `pseudonym`, `note`, `event`, `act`,
    /// `narrative`, `transcript`).
    pub field: &'static str,
    /// The text, NFC-normalised.
    pub text: String,
}

fn entry(field: &'static str, text: &str) -> Option<SearchEntry> {
    let text = normalize(text);
    if text.trim().is_empty() { None } else { Some(SearchEntry { field, text }) }
}

impl CaseRecord {
    /// The texts of the case document to index: title, tags, pseudonyms, notes, events and
    /// acts. Never identity fields.
    pub fn search_entries(&self) -> Vec<SearchEntry> {
        let mut entries = Vec::new();
        entries.extend(entry("title", &self.title));
        entries.extend(entry("tags", &self.distinct_tags().join(" ")));
        for person in self.persons.values() {
            entries.extend(entry("pseudonym", &person.pseudonym));
        }
        for note in self.notes.values() {
            entries.extend(entry("note", &note.text));
        }
        for event in self.events.values() {
            entries.extend(entry("event", &[event.title.as_str(), &event.description, &event.place].join("\n")));
            for act in event.acts.values() {
                let text = [act.perpetrator.unit.as_str(), &act.perpetrator.facility, &act.consequences].join("\n");
                entries.extend(entry("act", &text));
            }
        }
        entries
    }
}

impl TestimonyRecord {
    /// The texts of a testimony to index: narrative and transcript (and place).
    pub fn search_entries(&self) -> Vec<SearchEntry> {
        let mut entries = Vec::new();
        entries.extend(entry("narrative", self.narrative.as_str()));
        entries.extend(entry("transcript", self.transcript.as_str()));
        entries.extend(entry("place", &self.place));
        entries
    }
}

/// NFC normalisation applied to indexed text and to queries.
pub fn normalize(text: &str) -> String {
    text.nfc().collect()
}

/// One term of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerm {
    /// The term, NFC-normalised (may contain spaces when it was quoted).
    pub text: String,
}

/// Splits a query into terms: words separated by white space, or `"quoted phrases"`. Every
/// term must occur in the case (in any indexed field). At most [`MAX_QUERY_TERMS`] terms are
/// kept; duplicates are dropped.
pub fn parse_query(query: &str) -> Vec<SearchTerm> {
    let query = normalize(query);
    let mut terms: Vec<SearchTerm> = Vec::new();
    let mut push = |text: &str| {
        let text = text.trim();
        if !text.is_empty() && terms.len() < MAX_QUERY_TERMS && !terms.iter().any(|term| term.text == text) {
            terms.push(SearchTerm { text: text.to_owned() });
        }
    };
    for (index, part) in query.split('"').enumerate() {
        if index % 2 == 1 {
            push(part);
        } else {
            part.split_whitespace().for_each(&mut push);
        }
    }
    terms
}

/// A short excerpt of `text` around the first (case-insensitive) occurrence of `term`, with
/// at most `radius` characters on each side.
pub fn snippet(text: &str, term: &str, radius: usize) -> String {
    let lower: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let chars: Vec<char> = text.chars().collect();
    let needle: Vec<char> = term.chars().flat_map(char::to_lowercase).collect();
    // Lower-casing may change lengths for a few scripts; fall back to the start then.
    let position = if lower.len() == chars.len() && !needle.is_empty() {
        lower.windows(needle.len()).position(|window| window == needle.as_slice()).unwrap_or(0)
    } else {
        0
    };
    let start = position.saturating_sub(radius);
    let end = (position + needle.len() + radius).min(chars.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(chars[start..end].iter().map(|&c| if c.is_control() { ' ' } else { c }));
    if end < chars.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CollabText, IdentityValue, Note, Person, SealedIdentity, Sensitive};

    #[test]
    fn queries_split_into_terms() {
        let terms = parse_query("  보위부  \"forced labour\" 고문 보위부 ");
        let texts: Vec<&str> = terms.iter().map(|term| term.text.as_str()).collect();
        assert_eq!(texts, ["보위부", "forced labour", "고문"]);
        assert!(parse_query("   ").is_empty());
        assert_eq!(parse_query("a b c d e f g h i j").len(), MAX_QUERY_TERMS);
    }

    #[test]
    fn decomposed_hangul_is_normalised() {
        let decomposed = "\u{1100}\u{1169}\u{1106}\u{116e}\u{11ab}"; // 고문 as jamo
        assert_eq!(normalize(decomposed), "고문");
        assert_eq!(parse_query(decomposed)[0].text, "고문");
    }

    #[test]
    fn identity_fields_are_never_indexed() {
        let mut record = CaseRecord { title: "Case title".into(), ..CaseRecord::default() };
        // Neither a sealed value nor plain text a version before sealing left is indexed.
        let identity = SealedIdentity {
            real_name: IdentityValue::Plain(Sensitive("김철수".into())),
            home_town: IdentityValue::Sealed(b"sealed bytes".to_vec()),
            ..SealedIdentity::default()
        };
        record.persons.insert("p".into(), Person { pseudonym: "A-17".into(), roles: vec![], identity });
        record.notes.insert("n".into(), Note { at: 1, by: "w".into(), text: "메모 내용".into() });
        let entries = record.search_entries();
        assert!(entries.iter().any(|e| e.field == "pseudonym" && e.text == "A-17"));
        assert!(entries.iter().any(|e| e.field == "note" && e.text == "메모 내용"));
        assert!(entries.iter().all(|e| !e.text.contains("김철수") && !e.text.contains("sealed")));
        let testimony = TestimonyRecord { narrative: CollabText("증언".into()), ..TestimonyRecord::default() };
        assert_eq!(testimony.search_entries(), vec![SearchEntry { field: "narrative", text: "증언".into() }]);
    }

    #[test]
    fn snippets_surround_the_match() {
        let text = "처음 부분. 그는 보위부에서 고문을 당했다고 말했다. 끝";
        assert_eq!(snippet(text, "고문", 4), "…부에서 고문을 당했…");
        assert_eq!(snippet("Forced LABOUR camp", "labour", 3), "…ed LABOUR ca…");
        assert_eq!(snippet("a rather long text", "missing", 2), "a rather …");
    }
}
