//! Full-text search over the vault's search indexes.

use std::collections::{BTreeSet, HashSet};

use cairn_model::{ObjectId, search};

use super::{SearchHit, pipeline::read};
use crate::{CoreError, Session};

impl Session {
    /// Cases matching every term of `query`, the most recently changed first. Each
    /// term (word, or `"quoted phrase"`) must occur somewhere in a case, as a case-insensitive
    /// substring; the store answers terms of three or more characters from its trigram index
    /// and two-letter terms (most Korean words) from its pair index.
    pub fn search(&mut self, query: &str, limit: usize) -> Result<Vec<SearchHit>, CoreError> {
        let terms = search::parse_query(query);
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        read(self.vault_mut(), |tx| {
            // Which cases match: sets of case ids, intersected term by term.
            let mut matches: Option<HashSet<ObjectId>> = None;
            for term in &terms {
                let found = tx.search_cases(&term.text)?;
                let narrowed = match matches {
                    None => found,
                    Some(previous) => previous.intersection(&found).copied().collect(),
                };
                let empty = narrowed.is_empty();
                matches = Some(narrowed);
                if empty {
                    break;
                }
            }
            let summaries = tx.recent_case_summaries(&matches.unwrap_or_default(), limit)?;
            // Where each shown case matched, and a snippet around the first term.
            let first = &terms[0].text;
            let lower = first.to_lowercase();
            summaries
                .into_iter()
                .map(|summary| {
                    let mut places = BTreeSet::new();
                    for term in &terms {
                        places.extend(tx.search_case_rows(&summary.case_id, &term.text)?);
                    }
                    let mut fields: Vec<String> = places.iter().map(|(_, field)| field.clone()).collect();
                    fields.sort();
                    fields.dedup();
                    let mut snippet = String::new();
                    for (doc_id, field) in &places {
                        let texts = tx.search_texts(&summary.case_id, doc_id, field)?;
                        if let Some(text) = texts.iter().find(|text| text.to_lowercase().contains(&lower)) {
                            snippet = search::snippet(text, first, 40);
                            break;
                        }
                    }
                    Ok(SearchHit { case_id: summary.case_id, title: summary.title, status: summary.status, fields, snippet })
                })
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::session;
    use crate::cases::CaseField;

    #[test]
    fn every_term_must_match_and_the_latest_change_comes_first() {
        let (_vault, mut session) = session();
        // Change times are in milliseconds: keep every write in its own.
        let tick = || std::thread::sleep(std::time::Duration::from_millis(3));
        let torture = session.create_case("고문 피해 사례").expect("case");
        let camp = session.create_case("Logging camp").expect("case");
        let both = session.create_case("Border crossing").expect("case");
        tick();
        session.add_note(&camp, "평양에서 온 감독관", None).expect("note");
        tick();
        session.add_note(&both, "구류장에서 고문을 당했다. 평양 출신", None).expect("note");
        tick();
        // A later edit makes `torture` the most recently changed case.
        session.set_case_field(&torture, CaseField::Title, "고문 피해 사례 (보완)").expect("edit");

        let ids = |hits: Vec<super::SearchHit>| hits.into_iter().map(|hit| hit.case_id).collect::<Vec<_>>();
        assert_eq!(ids(session.search("고문", 10).expect("search")), [torture, both]);
        assert_eq!(ids(session.search("고문", 1).expect("search")), [torture], "the limit keeps the latest");
        assert_eq!(ids(session.search("평양", 10).expect("search")), [both, camp]);
        // Two terms (a pair-index word and a trigram word): only the case holding both.
        let hits = session.search("고문 구류장", 10).expect("search");
        assert_eq!(ids(hits.clone()), [both]);
        assert_eq!(hits[0].fields, ["note"]);
        assert!(hits[0].snippet.contains("고문을"), "{}", hits[0].snippet);
        // Where the terms were found, field by field.
        let hits = session.search("\"피해 사례\" 고문", 10).expect("search");
        assert_eq!(ids(hits.clone()), [torture]);
        assert_eq!(hits[0].fields, ["title"]);
        assert!(session.search("고문 없는말", 10).expect("search").is_empty());
        assert!(session.search("고문", 0).expect("search").is_empty());
    }
}
