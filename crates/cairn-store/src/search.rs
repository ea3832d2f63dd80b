//! The full-text search index (migrations `0003_cases.sql` and `0011_search_pairs.sql`):
//! the indexed texts of every document, an FTS5 trigram index over them for terms of three
//! or more characters, and an index of adjacent character pairs for two-character terms.
//! Like the rest of the derived data it lives only inside the SQLCipher database and is
//! written in the caller's transaction.
//!
//! Every term has the meaning of a case-insensitive (ASCII) substring test. The trigram index
//! answers that test exactly; the pair index only narrows the rows, on which the substring
//! test (`LIKE`) then runs, so its answers are exactly those of a full scan.

use std::collections::HashSet;

use rusqlite::{OptionalExtension, params, params_from_iter, types::Value};

use crate::{CaseSummaryRow, Id, StoreError, VaultTx};

/// A row of the search index that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchMatch {
    /// The case.
    pub case_id: Id,
    /// The document the text comes from.
    pub doc_id: Id,
    /// The field label.
    pub field: String,
}

/// Which index answers a search term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchIndex {
    /// Three characters or more: the FTS5 trigram index.
    Trigrams,
    /// Two letters or digits of the scripts the pair index holds (a two-syllable Korean word,
    /// two Hanja, two ASCII letters or digits): the pair index, then the substring test.
    Pairs,
    /// Anything shorter or with other characters: a substring scan of every indexed text.
    Scan,
}

impl SearchIndex {
    /// The index for `term` (already normalised).
    pub fn for_term(term: &str) -> SearchIndex {
        let mut chars = term.chars();
        match (chars.next(), chars.next(), chars.next()) {
            (Some(_), Some(_), Some(_)) => SearchIndex::Trigrams,
            (Some(first), Some(second), None) if is_pair_char(first) && is_pair_char(second) => SearchIndex::Pairs,
            _ => SearchIndex::Scan,
        }
    }
}

/// Characters the pair index holds. All are letters or digits to SQLite's `unicode61`
/// tokenizer, so a pair of them is always one token, in the index and in a query.
fn is_pair_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || ('\u{AC00}'..='\u{D7A3}').contains(&c) // Hangul syllables
        || ('\u{4E00}'..='\u{9FFF}').contains(&c) // CJK unified ideographs (Hanja)
}

/// The pair-index text of `body`: each distinct pair of adjacent pair characters, ASCII
/// lower-cased, separated by spaces (the tokenizer folds case too; lower-casing here only
/// makes duplicates visible).
pub(crate) fn search_pairs(body: &str) -> String {
    let mut seen = HashSet::new();
    let mut out = String::new();
    let mut previous: Option<char> = None;
    for c in body.chars().map(|c| c.to_ascii_lowercase()) {
        if let Some(first) = previous
            && is_pair_char(first)
            && is_pair_char(c)
            && seen.insert((first, c))
        {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push(first);
            out.push(c);
        }
        previous = Some(c);
    }
    out
}

/// Whether `c` has a case mapping (the trigram index folds case, `LIKE` only ASCII's).
fn is_cased(c: char) -> bool {
    c.to_lowercase().ne(std::iter::once(c)) || c.to_uppercase().ne(std::iter::once(c))
}

/// Whether the trigram index may find `term` in a text where `LIKE` does not: only through
/// case folding beyond ASCII, so only when the text has a cased non-ASCII character (the
/// row's `folds` mark, set when it is indexed) and the term has a cased character at all
/// (the Kelvin sign folds to `k`, `ſ` to `s`).
fn term_is_cased(term: &str) -> bool {
    term.chars().any(is_cased)
}

/// The `folds` mark of an indexed text (see [`term_is_cased`]).
fn folds_beyond_ascii(body: &str) -> bool {
    body.chars().any(|c| !c.is_ascii() && is_cased(c))
}

/// Fills the pair index and the `folds` marks for every indexed text (the migration that
/// created them).
pub(crate) fn fill_search_pairs(tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
    let mut select = tx.prepare("SELECT rowid, body FROM search_docs")?;
    let mut insert = tx.prepare("INSERT INTO search_pairs (rowid, pairs) VALUES (?1, ?2)")?;
    let mut mark = tx.prepare("UPDATE search_docs SET folds = 1 WHERE rowid = ?1")?;
    let mut rows = select.query([])?;
    while let Some(row) = rows.next()? {
        let (rowid, body): (i64, String) = (row.get(0)?, row.get(1)?);
        insert.execute(params![rowid, search_pairs(&body)])?;
        if folds_beyond_ascii(&body) {
            mark.execute([rowid])?;
        }
    }
    Ok(())
}

/// `term` as a `LIKE` pattern for a substring test (`ESCAPE '\'`).
fn like_pattern(term: &str) -> String {
    let mut pattern = String::with_capacity(term.len() + 2);
    pattern.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// `term` as an FTS5 string (one phrase, whatever it contains).
fn fts_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

fn id_from(bytes: Vec<u8>, what: &'static str) -> Result<Id, StoreError> {
    bytes.try_into().map_err(|_| StoreError::Damaged { what })
}

impl VaultTx<'_> {
    /// Replaces the indexed texts of one document with `entries` (field label, text). Rows
    /// whose text did not change are left alone, so re-saving a long narrative after a
    /// status change costs nothing in the index. Returns whether anything changed.
    pub fn replace_search_entries(
        &mut self,
        case_id: &Id,
        doc_id: &Id,
        entries: &[(&str, &str)],
    ) -> Result<bool, StoreError> {
        let existing: Vec<(i64, String, String)> = self
            .tx
            .prepare_cached("SELECT rowid, field, body FROM search_docs WHERE case_id = ?1 AND doc_id = ?2 ORDER BY rowid")?
            .query_map(params![case_id.as_slice(), doc_id.as_slice()], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let mut keep = vec![false; existing.len()];
        let mut changed = false;
        for (field, body) in entries {
            let found = existing.iter().enumerate().position(|(index, (_, f, b))| !keep[index] && f == field && b == body);
            match found {
                Some(index) => keep[index] = true,
                None => {
                    self.tx
                        .prepare_cached(
                            "INSERT INTO search_docs (case_id, doc_id, field, body, folds) VALUES (?1, ?2, ?3, ?4, ?5)",
                        )?
                        .execute(params![case_id.as_slice(), doc_id.as_slice(), field, body, folds_beyond_ascii(body)])?;
                    let rowid = self.tx.last_insert_rowid();
                    self.tx
                        .prepare_cached("INSERT INTO search_pairs (rowid, pairs) VALUES (?1, ?2)")?
                        .execute(params![rowid, search_pairs(body)])?;
                    changed = true;
                }
            }
        }
        for ((rowid, _, _), kept) in existing.iter().zip(keep) {
            if !kept {
                // The triggers remove the row from both indexes.
                self.tx.prepare_cached("DELETE FROM search_docs WHERE rowid = ?1")?.execute([rowid])?;
                changed = true;
            }
        }
        Ok(changed)
    }

    /// Index rows containing `term` (see the module's note on meaning), at most `limit`.
    pub fn search_rows(&self, term: &str, limit: u32) -> Result<Vec<SearchMatch>, StoreError> {
        let map =
            |row: &rusqlite::Row<'_>| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, Vec<u8>>(1)?, row.get::<_, String>(2)?));
        let rows: Vec<(Vec<u8>, Vec<u8>, String)> = match SearchIndex::for_term(term) {
            SearchIndex::Trigrams => self
                .tx
                .prepare_cached(
                    "SELECT d.case_id, d.doc_id, d.field FROM search_fts JOIN search_docs d ON d.rowid = search_fts.rowid
                     WHERE search_fts MATCH ?1 LIMIT ?2",
                )?
                .query_map(params![fts_phrase(term), limit], map)?
                .collect::<Result<_, _>>()?,
            SearchIndex::Pairs => self
                .tx
                .prepare_cached(
                    "SELECT d.case_id, d.doc_id, d.field FROM search_pairs JOIN search_docs d ON d.rowid = search_pairs.rowid
                     WHERE search_pairs MATCH ?1 AND d.body LIKE ?2 ESCAPE '\\' LIMIT ?3",
                )?
                .query_map(params![fts_phrase(term), like_pattern(term), limit], map)?
                .collect::<Result<_, _>>()?,
            SearchIndex::Scan => self
                .tx
                .prepare_cached("SELECT case_id, doc_id, field FROM search_docs WHERE body LIKE ?1 ESCAPE '\\' LIMIT ?2")?
                .query_map(params![like_pattern(term), limit], map)?
                .collect::<Result<_, _>>()?,
        };
        rows.into_iter()
            .map(|(case_id, doc_id, field)| {
                Ok(SearchMatch {
                    case_id: id_from(case_id, "search index")?,
                    doc_id: id_from(doc_id, "search index")?,
                    field,
                })
            })
            .collect()
    }

    /// The cases with at least one indexed text containing `term`.
    pub fn search_cases(&self, term: &str) -> Result<HashSet<Id>, StoreError> {
        let (sql, args) = match SearchIndex::for_term(term) {
            SearchIndex::Trigrams => (
                "SELECT d.case_id FROM search_fts JOIN search_docs d ON d.rowid = search_fts.rowid
                 WHERE search_fts MATCH ?1",
                vec![Value::Text(fts_phrase(term))],
            ),
            SearchIndex::Pairs => (
                "SELECT d.case_id FROM search_pairs JOIN search_docs d ON d.rowid = search_pairs.rowid
                 WHERE search_pairs MATCH ?1 AND d.body LIKE ?2 ESCAPE '\\'",
                vec![Value::Text(fts_phrase(term)), Value::Text(like_pattern(term))],
            ),
            SearchIndex::Scan => {
                ("SELECT case_id FROM search_docs WHERE body LIKE ?1 ESCAPE '\\'", vec![Value::Text(like_pattern(term))])
            }
        };
        let mut statement = self.tx.prepare_cached(sql)?;
        let mut rows = statement.query(params_from_iter(args))?;
        let mut cases = HashSet::new();
        while let Some(row) = rows.next()? {
            cases.insert(id_from(row.get(0)?, "search index")?);
        }
        Ok(cases)
    }

    /// The (document, field) of one case's indexed texts containing `term`, without
    /// duplicates, sorted. Answered from the case's own few rows with `LIKE`, which for a
    /// trigram term gives the index's answer except where case folding beyond ASCII is needed
    /// (then the index is asked about that row): asking the index about every row is about
    /// a hundred times slower.
    pub fn search_case_rows(&self, case_id: &Id, term: &str) -> Result<Vec<(Id, String)>, StoreError> {
        let ask_index = SearchIndex::for_term(term) == SearchIndex::Trigrams && term_is_cased(term);
        let mut statement = self.tx.prepare_cached(
            "SELECT rowid, doc_id, field, body LIKE ?2 ESCAPE '\\', folds FROM search_docs WHERE case_id = ?1",
        )?;
        let mut rows = statement.query(params![case_id.as_slice(), like_pattern(term)])?;
        let mut places = Vec::new();
        while let Some(row) = rows.next()? {
            let (rowid, like, folds): (i64, bool, bool) = (row.get(0)?, row.get(3)?, row.get(4)?);
            let found = like
                || (ask_index
                    && folds
                    && self
                        .tx
                        .prepare_cached("SELECT 1 FROM search_fts WHERE search_fts MATCH ?1 AND rowid = ?2")?
                        .exists(params![fts_phrase(term), rowid])?);
            if found {
                places.push((id_from(row.get(1)?, "search index")?, row.get(2)?));
            }
        }
        places.sort();
        places.dedup();
        Ok(places)
    }

    /// The ids of the `count` most recently changed cases, most recent first (the case list's
    /// order).
    pub fn recent_case_ids(&self, count: usize) -> Result<Vec<Id>, StoreError> {
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        let mut statement =
            self.tx.prepare_cached("SELECT case_id FROM case_summaries ORDER BY updated_at DESC, case_id LIMIT ?1")?;
        let mut rows = statement.query([count])?;
        let mut ids = Vec::new();
        while let Some(row) = rows.next()? {
            ids.push(id_from(row.get(0)?, "case summary")?);
        }
        Ok(ids)
    }

    /// The summaries of the most recently changed of `cases`, at most `limit`, most recent
    /// first (the case list's order).
    pub fn recent_case_summaries(&self, cases: &HashSet<Id>, limit: usize) -> Result<Vec<CaseSummaryRow>, StoreError> {
        let mut chosen: Vec<(i64, Id)> = Vec::new();
        if cases.len() <= limit.saturating_mul(4).max(64) {
            // Few: look each up.
            let mut statement = self.tx.prepare_cached("SELECT updated_at FROM case_summaries WHERE case_id = ?1")?;
            for case_id in cases {
                if let Some(updated_at) = statement.query_row([case_id.as_slice()], |row| row.get::<_, i64>(0)).optional()? {
                    chosen.push((updated_at, *case_id));
                }
            }
            chosen.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            chosen.truncate(limit);
        } else {
            // Many: walk the order's index until `limit` of them are found.
            let mut statement = self
                .tx
                .prepare_cached("SELECT case_id, updated_at FROM case_summaries ORDER BY updated_at DESC, case_id")?;
            let mut rows = statement.query([])?;
            while chosen.len() < limit
                && let Some(row) = rows.next()?
            {
                let case_id = id_from(row.get(0)?, "case summary")?;
                if cases.contains(&case_id) {
                    chosen.push((row.get(1)?, case_id));
                }
            }
        }
        let mut summaries = Vec::with_capacity(chosen.len());
        for (_, case_id) in chosen {
            if let Some(summary) = self.case_summary(&case_id)? {
                summaries.push(summary);
            }
        }
        Ok(summaries)
    }

    /// The indexed texts of one document field (for showing a snippet).
    pub fn search_texts(&self, case_id: &Id, doc_id: &Id, field: &str) -> Result<Vec<String>, StoreError> {
        let texts = self
            .tx
            .prepare_cached("SELECT body FROM search_docs WHERE case_id = ?1 AND doc_id = ?2 AND field = ?3 ORDER BY rowid")?
            .query_map(params![case_id.as_slice(), doc_id.as_slice(), field], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(texts)
    }

    /// Merges the full-text indexes' segments (run now and then; also physically drops the
    /// tokens of deleted rows that `secure-delete` left in partially merged segments).
    pub fn optimize_search_index(&mut self) -> Result<(), StoreError> {
        self.tx.execute("INSERT INTO search_fts (search_fts) VALUES ('optimize')", [])?;
        self.tx.execute("INSERT INTO search_pairs (search_pairs) VALUES ('optimize')", [])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Vault, test_support::vault};

    /// Checks every way of asking: the rows, the cases, each case's rows, and (for terms an
    /// index answers) that the answer equals a full substring scan's.
    fn check_search(vault: &mut Vault, term: &str, expected: &[(Id, &str)]) {
        vault
            .read(|tx| {
                let mut found: Vec<(Id, String)> =
                    tx.search_rows(term, 1000)?.into_iter().map(|hit| (hit.case_id, hit.field)).collect();
                found.sort();
                let mut wanted: Vec<(Id, String)> = expected.iter().map(|(id, field)| (*id, (*field).to_owned())).collect();
                wanted.sort();
                assert_eq!(found, wanted, "search for {term}");
                let cases = tx.search_cases(term)?;
                assert_eq!(cases, wanted.iter().map(|(id, _)| *id).collect::<HashSet<_>>(), "cases for {term}");
                for case_id in &cases {
                    let mut fields: Vec<String> =
                        tx.search_case_rows(case_id, term)?.into_iter().map(|(_, field)| field).collect();
                    fields.sort();
                    let wanted_fields: Vec<String> =
                        wanted.iter().filter(|(id, _)| id == case_id).map(|(_, field)| field.clone()).collect();
                    assert_eq!(fields, wanted_fields, "fields of a case for {term}");
                }
                if SearchIndex::for_term(term) != SearchIndex::Trigrams {
                    let mut scanned: Vec<(Id, String)> = tx
                        .tx
                        .prepare("SELECT case_id, field FROM search_docs WHERE body LIKE ?1 ESCAPE '\\'")?
                        .query_map([like_pattern(term)], |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get(1)?)))?
                        .map(|row| row.map(|(id, field)| (id.try_into().expect("id"), field)))
                        .collect::<Result<_, _>>()?;
                    scanned.sort();
                    assert_eq!(found, scanned, "index and scan agree for {term}");
                }
                Ok(())
            })
            .expect("search");
    }

    /// One case per text, holding it as a note.
    fn index_notes(vault: &mut Vault, texts: &[(Id, &str)]) {
        vault
            .transaction(|tx| {
                for (case, text) in texts {
                    tx.create_case_key(case)?;
                    tx.replace_search_entries(case, case, &[("note", text)])?;
                }
                Ok(())
            })
            .expect("index");
    }

    #[test]
    fn terms_choose_their_index() {
        assert_eq!(SearchIndex::for_term("보위부"), SearchIndex::Trigrams);
        assert_eq!(SearchIndex::for_term("a b"), SearchIndex::Trigrams);
        assert_eq!(SearchIndex::for_term("고문"), SearchIndex::Pairs);
        assert_eq!(SearchIndex::for_term("Ab"), SearchIndex::Pairs);
        assert_eq!(SearchIndex::for_term("平壤"), SearchIndex::Pairs);
        assert_eq!(SearchIndex::for_term("0_"), SearchIndex::Scan);
        assert_eq!(SearchIndex::for_term("é1"), SearchIndex::Scan);
        assert_eq!(SearchIndex::for_term("ㄱㄴ"), SearchIndex::Scan, "jamo are not in the pair index");
        assert_eq!(SearchIndex::for_term("고"), SearchIndex::Scan);
        assert_eq!(SearchIndex::for_term(""), SearchIndex::Scan);
    }

    #[test]
    fn pairs_are_adjacent_letters_once_each() {
        assert_eq!(search_pairs("고문을 당했다"), "고문 문을 당했 했다");
        assert_eq!(search_pairs("AB ab-Ab 7x"), "ab 7x");
        assert_eq!(search_pairs("a. b"), "");
    }

    #[test]
    fn search_finds_korean_inside_words_and_english() {
        let (_dir, mut vault) = vault();
        let (one, two) = ([1u8; 16], [2u8; 16]);
        vault
            .transaction(|tx| {
                tx.create_case_key(&one)?;
                tx.create_case_key(&two)?;
                tx.replace_search_entries(&one, &one, &[("title", "Forced Labour at a logging camp")])?;
                tx.replace_search_entries(&one, &[9; 16], &[("narrative", "그는 보위부에서 고문을 당했다고 증언했다.")])?;
                tx.replace_search_entries(&two, &two, &[("note", "50% of 100_000 won; 전기고문 언급")])?;
                Ok(())
            })
            .expect("index");
        check_search(&mut vault, "보위부", &[(one, "narrative")]);
        check_search(&mut vault, "고문", &[(one, "narrative"), (two, "note")]);
        check_search(&mut vault, "labour", &[(one, "title")]);
        check_search(&mut vault, "LOGGING", &[(one, "title")]);
        check_search(&mut vault, "증언했", &[(one, "narrative")]);
        check_search(&mut vault, "%", &[(two, "note")]);
        check_search(&mut vault, "0_", &[(two, "note")]);
        check_search(&mut vault, "\"quoted\"", &[]);
        check_search(&mut vault, "북한", &[]);
        // Re-indexing replaces: the old text is gone from every index.
        vault
            .transaction(|tx| {
                let changed = tx.replace_search_entries(&one, &[9; 16], &[("narrative", "다른 내용")])?;
                assert!(changed);
                assert!(!tx.replace_search_entries(&one, &[9; 16], &[("narrative", "다른 내용")])?);
                Ok(())
            })
            .expect("reindex");
        check_search(&mut vault, "보위부", &[]);
        check_search(&mut vault, "고문", &[(two, "note")]);
        check_search(&mut vault, "다른 내용", &[(one, "narrative")]);
        check_search(&mut vault, "내용", &[(one, "narrative")]);
    }

    #[test]
    fn case_folding_beyond_ascii_is_the_trigram_index_s() {
        let (_dir, mut vault) = vault();
        let texts = [
            ([1u8; 16], "\u{212A}im said so"), // Kelvin sign: folds to k
            ([2u8; 16], "ſtop here"),          // long s: folds to s
            ([3u8; 16], "ÉCOLE 앞에서"),
            ([4u8; 16], "ΣΊΣΥΦΟΣ"),
            ([5u8; 16], "ＡＢＣ 회사"),
            ([6u8; 16], "kim stop école"), // plain ASCII and a lower-case é
        ];
        index_notes(&mut vault, &texts);
        check_search(&mut vault, "KIM", &[([1; 16], "note"), ([6; 16], "note")]);
        check_search(&mut vault, "stop", &[([2; 16], "note"), ([6; 16], "note")]);
        check_search(&mut vault, "école", &[([3; 16], "note"), ([6; 16], "note")]);
        check_search(&mut vault, "σίσυ", &[([4; 16], "note")]);
        check_search(&mut vault, "ａｂｃ", &[([5; 16], "note")]);
        check_search(&mut vault, "회사", &[([5; 16], "note")]);
    }

    #[test]
    fn two_syllable_words_are_found_anywhere_in_a_word() {
        let (_dir, mut vault) = vault();
        let texts = [
            ([1u8; 16], "고문을 당했다"),         // start of a word, before a particle
            ([2u8; 16], "전기고문"),              // end of a word
            ([3u8; 16], "물고문자국"),            // middle of a word
            ([4u8; 16], "고문"),                  // the whole text
            ([5u8; 16], "고 문, 고-문, 문고"),    // apart or reversed: no match
            ([6u8; 16], "Kim said: 고문이었다."), // after Latin text and punctuation
        ];
        index_notes(&mut vault, &texts);
        let expected: Vec<(Id, &str)> = [1u8, 2, 3, 4, 6].iter().map(|&n| ([n; 16], "note")).collect();
        check_search(&mut vault, "고문", &expected);
        check_search(&mut vault, "문을", &[([1; 16], "note")]);
        check_search(&mut vault, "KI", &[([6; 16], "note")]);
        check_search(&mut vault, "id", &[([6; 16], "note")]);
    }

    #[test]
    fn deleting_a_case_leaves_nothing_in_the_pair_index() {
        let (_dir, mut vault) = vault();
        let case = [7u8; 16];
        vault
            .transaction(|tx| {
                tx.create_case_key(&case)?;
                tx.replace_search_entries(&case, &case, &[("note", "평양에서 왔다")])?;
                Ok(())
            })
            .expect("index");
        check_search(&mut vault, "평양", &[(case, "note")]);
        vault.transaction(|tx| tx.delete_case(&case)).expect("delete");
        let left: i64 = vault
            .read(|tx| {
                Ok(tx.tx.query_row("SELECT count(*) FROM search_pairs WHERE search_pairs MATCH '\"평양\"'", [], |row| {
                    row.get(0)
                })?)
            })
            .expect("count");
        assert_eq!(left, 0);
    }

    /// SQLCipher keeps 80 bytes of each 4,096-byte page, so FTS5's default 4,050-byte leaves
    /// spilled into overflow pages (migration 0015); full leaves now fit in one page.
    #[test]
    fn search_index_leaves_fit_in_one_page() {
        let (_dir, mut vault) = vault();
        // Hangul syllables from a fixed pseudo-random sequence: many distinct trigrams and pairs,
        // enough to fill leaves of both indexes.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut syllable = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from_u32(0xAC00 + (state % 600) as u32).expect("Hangul syllable")
        };
        let texts: Vec<(Id, String)> = (0..60u8).map(|n| ([n; 16], (0..2_000).map(|_| syllable()).collect())).collect();
        let borrowed: Vec<(Id, &str)> = texts.iter().map(|(id, text)| (*id, text.as_str())).collect();
        index_notes(&mut vault, &borrowed);
        vault
            .read(|tx| {
                for index in ["search_fts", "search_pairs"] {
                    let table = format!("{index}_data");
                    let full_leaves: i64 =
                        tx.tx.query_row(&format!("SELECT count(*) FROM {table} WHERE length(block) > 3800"), [], |row| {
                            row.get(0)
                        })?;
                    assert!(full_leaves > 10, "{index}: the texts fill leaves ({full_leaves})");
                    let overflow_pages: i64 = tx.tx.query_row(
                        "SELECT count(*) FROM dbstat WHERE name = ?1 AND pagetype = 'overflow'",
                        [&table],
                        |row| row.get(0),
                    )?;
                    assert_eq!(overflow_pages, 0, "{index}: no leaf spills out of its page");
                }
                Ok(())
            })
            .expect("index pages");
    }

    #[test]
    fn most_recent_cases_come_first_however_many_match() {
        let (_dir, mut vault) = vault();
        let ids: Vec<Id> = (0..200u8).map(|n| [n; 16]).collect();
        vault
            .transaction(|tx| {
                for (n, id) in ids.iter().enumerate() {
                    tx.create_case_key(id)?;
                    // Ties on purpose: the case id breaks them.
                    let summary = crate::test_support::summary(*id, (n / 3) as i64);
                    tx.put_case_summary(&summary)?;
                }
                Ok(())
            })
            .expect("fill");
        let mut order = |wanted: &HashSet<Id>, limit: usize| -> Vec<Id> {
            vault.read(|tx| tx.recent_case_summaries(wanted, limit)).expect("read").iter().map(|s| s.case_id).collect()
        };
        let expected = |wanted: &HashSet<Id>, limit: usize| -> Vec<Id> {
            let mut all: Vec<(i64, Id)> =
                wanted.iter().filter(|id| id[0] < 200).map(|id| ((id[0] / 3) as i64, *id)).collect();
            all.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            all.into_iter().take(limit).map(|(_, id)| id).collect()
        };
        // Few (looked up one by one) and many (walked in order), with an unknown id.
        let few: HashSet<Id> = [[5u8; 16], [4; 16], [3; 16], [250; 16]].into_iter().collect();
        let many: HashSet<Id> = ids.iter().filter(|id| id[0] % 2 == 0).copied().collect();
        assert_eq!(order(&few, 10), expected(&few, 10));
        assert_eq!(order(&few, 2), expected(&few, 2));
        assert_eq!(order(&many, 5), expected(&many, 5));
        assert_eq!(order(&many, 1000), expected(&many, 1000));
        assert_eq!(order(&many, 1000).len(), 100);
    }
}
