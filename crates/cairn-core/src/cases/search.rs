//! Full-text search over the vault's search indexes.

use std::collections::{BTreeSet, HashSet};

use cairn_model::{ObjectId, SearchTerm, search};
use cairn_store::VaultTx;

use super::{SearchHit, pipeline::read};
use crate::{CoreError, Session};

/// How many of the most recent cases a search tests one by one before it asks the indexes
/// for every match instead (see [`Session::search`]): at least this many, or twice the limit.
const WALK_AT_LEAST: usize = 100;

/// Where in `case_id` every term of `terms` occurs, as (document, field) pairs; `None` when a
/// term does not occur in the case.
fn places_in_case(
    tx: &VaultTx<'_>,
    case_id: &ObjectId,
    terms: &[SearchTerm],
) -> Result<Option<BTreeSet<(ObjectId, String)>>, CoreError> {
    let mut places = BTreeSet::new();
    for term in terms {
        let found = tx.search_case_rows(case_id, &term.text)?;
        if found.is_empty() {
            return Ok(None);
        }
        places.extend(found);
    }
    Ok(Some(places))
}

impl Session {
    /// Cases matching every term of `query`, the most recently changed first. Each
    /// term (word, or `"quoted phrase"`) must occur somewhere in a case, as a case-insensitive
    /// substring; the store answers terms of three or more characters from its trigram index
    /// and two-letter terms (most Korean words) from its pair index.
    ///
    /// A common term matches most of the archive, and listing every match through an index
    /// costs in proportion to that; but only the most recent `limit` are shown. So the most
    /// recent cases are tested one by one first, and only when they do not fill the page are
    /// the indexes asked for every match (cheap then: the terms are rare). Both ways give the
    /// same cases in the same order.
    pub fn search(&mut self, query: &str, limit: usize) -> Result<Vec<SearchHit>, CoreError> {
        self.search_walking(query, limit, limit.saturating_mul(2).max(WALK_AT_LEAST))
    }

    /// [`Session::search`], testing at most `walk` recent cases one by one.
    fn search_walking(&mut self, query: &str, limit: usize, walk: usize) -> Result<Vec<SearchHit>, CoreError> {
        let terms = search::parse_query(query);
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        read(self.vault_mut(), |tx| {
            let recent = tx.recent_case_ids(walk)?;
            // Testing every case there is answers completely too.
            let mut complete = recent.len() < walk;
            let mut shown = Vec::new();
            for case_id in &recent {
                if let Some(places) = places_in_case(tx, case_id, &terms)? {
                    shown.push((*case_id, places));
                    if shown.len() == limit {
                        complete = true;
                        break;
                    }
                }
            }
            if !complete {
                // Rare terms: the cases matching each, intersected term by term.
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
                shown.clear();
                for summary in tx.recent_case_summaries(&matches.unwrap_or_default(), limit)? {
                    let places = places_in_case(tx, &summary.case_id, &terms)?.unwrap_or_default();
                    shown.push((summary.case_id, places));
                }
            }
            // A snippet around the first term.
            let first = &terms[0].text;
            let lower = first.to_lowercase();
            let mut hits = Vec::with_capacity(shown.len());
            for (case_id, places) in shown {
                let Some(summary) = tx.case_summary(&case_id)? else { continue };
                let mut fields: Vec<String> = places.iter().map(|(_, field)| field.clone()).collect();
                fields.sort();
                fields.dedup();
                let mut snippet = String::new();
                for (doc_id, field) in &places {
                    let texts = tx.search_texts(&case_id, doc_id, field)?;
                    if let Some(text) = texts.iter().find(|text| text.to_lowercase().contains(&lower)) {
                        snippet = search::snippet(text, first, 40);
                        break;
                    }
                }
                hits.push(SearchHit { case_id, title: summary.title, status: summary.status, fields, snippet });
            }
            Ok(hits)
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

    #[test]
    fn testing_recent_cases_first_and_asking_the_indexes_agree() {
        let (_vault, mut session) = session();
        let tick = || std::thread::sleep(std::time::Duration::from_millis(2));
        let texts = [
            "고문 피해",
            "평양 출신",
            "고문과 평양",
            "Border crossing",
            "전기고문",
            "interrogation at night",
            "보위부 조사",
            "고문",
            "night crossing 평양",
            "아무 일 없음",
        ];
        for (n, text) in texts.iter().enumerate() {
            let case = session.create_case(&format!("case {n}")).expect("case");
            session.add_note(&case, text, None).expect("note");
            tick();
        }
        for query in ["고문", "평양", "고문 평양", "crossing", "night 평양", "없는말", "case", "\"case 1\""] {
            for limit in [1, 2, 3, 50] {
                let everything = session.search_walking(query, limit, 1000).expect("search");
                for walk in [1, 2, 3, 5] {
                    let walked = session.search_walking(query, limit, walk).expect("search");
                    assert_eq!(walked, everything, "{query}, limit {limit}, walking {walk}");
                }
            }
        }
    }
}
