//! Full-text search over the vault's trigram index.

use std::collections::{BTreeMap, BTreeSet};

use cairn_model::{ObjectId, search};

use super::{SearchHit, pipeline::read};
use crate::{CoreError, Session};

impl Session {
    /// term (word, or `"quoted phrase"`) must occur somewhere in a case; terms of three or
    /// more characters use the trigram index, shorter ones a substring scan. Results are the
    /// most recently changed cases first.
    pub fn search(&mut self, query: &str, limit: usize) -> Result<Vec<SearchHit>, CoreError> {
        let terms = search::parse_query(query);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        read(self.vault_mut(), |tx| {
            let mut matches: Option<BTreeMap<ObjectId, BTreeSet<(ObjectId, String)>>> = None;
            for term in &terms {
                let mut found: BTreeMap<ObjectId, BTreeSet<(ObjectId, String)>> = BTreeMap::new();
                for row in tx.search_rows(&term.text, term.uses_trigrams(), u32::MAX)? {
                    found.entry(row.case_id).or_default().insert((row.doc_id, row.field));
                }
                matches = Some(match matches {
                    None => found,
                    Some(mut previous) => {
                        previous.retain(|case_id, _| found.contains_key(case_id));
                        for (case_id, places) in previous.iter_mut() {
                            places.extend(found.remove(case_id).unwrap_or_default());
                        }
                        previous
                    }
                });
            }
            let mut hits = Vec::new();
            for (case_id, places) in matches.unwrap_or_default() {
                if let Some(summary) = tx.case_summary(&case_id)? {
                    hits.push((summary, places));
                }
            }
            hits.sort_by(|a, b| b.0.updated_at.cmp(&a.0.updated_at).then(a.0.case_id.cmp(&b.0.case_id)));
            hits.truncate(limit);
            let first = &terms[0].text;
            hits.into_iter()
                .map(|(summary, places)| {
                    let mut fields: Vec<String> = places.iter().map(|(_, field)| field.clone()).collect();
                    fields.sort();
                    fields.dedup();
                    let mut snippet = String::new();
                    for (doc_id, field) in &places {
                        let texts = tx.search_texts(&summary.case_id, doc_id, field)?;
                        let lower = first.to_lowercase();
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
