//! The Uwazi export: one CSV per Uwazi template, in the layout Uwazi's CSV import reads
//! (docs/uwazi.md has the template definitions HQ creates once, and the import order).
//!
//! Conventions (Uwazi "CSV import"): UTF-8; the first record names the template's properties;
//! `title` on every row; several values in one cell separated by `|`; dates as `YYYY/MM/DD`,
//! date ranges as `start:end`; a select or multiselect cell holds the exact thesaurus label,
//! in English under `property__en` and in Korean under `property__ko`; a relationship cell
//! holds the exact title of the linked entity. Titles are unique within the export (a title
//! that would repeat gets ` [` + the first 8 hex digits of the object's id + `]`), and never
//! contain `|` or a line break, so every one can be a relationship target.
//!
//! Identity fields are never part of it: a person is exported by pseudonym and roles only.

use std::collections::{BTreeMap, HashMap};

use cairn_model::{ApproxDate, VocabKind, vocabulary};

use super::{ExportedCase, csv::CsvWriter};
use crate::cases::id_to_hex;

/// One Uwazi template's CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UwaziFile {
    /// The folder it goes in (`1_cases`, `2_persons`, …): the number is the import order.
    pub folder: &'static str,
    /// The Uwazi template it fills (`Cairn case`, …).
    pub template: &'static str,
    /// The CSV document (the folder's `import.csv`).
    pub csv: String,
    /// Entities (rows below the header).
    pub rows: usize,
}

/// The file name Uwazi's ZIP import expects at the root; each folder holds one.
pub const UWAZI_CSV_NAME: &str = "import.csv";

/// Each template: folder, Uwazi template name, columns (property names).
pub const UWAZI_TEMPLATES: [(&str, &str, &[&str]); 7] = [
    ("1_cases", "Cairn case", CASE_COLUMNS),
    ("2_persons", "Cairn person", PERSON_COLUMNS),
    ("3_events", "Cairn event", EVENT_COLUMNS),
    ("4_attachments", "Cairn attachment", ATTACHMENT_COLUMNS),
    ("5_acts", "Cairn act", ACT_COLUMNS),
    ("6_testimonies", "Cairn testimony", TESTIMONY_COLUMNS),
    ("7_notes", "Cairn note", NOTE_COLUMNS),
];

const CASE_COLUMNS: &[&str] = &[
    "title",
    "cairn_id",
    "status__en",
    "status__ko",
    "risk_level__en",
    "risk_level__ko",
    "team",
    "tags",
    "created",
    "created_by",
];
const PERSON_COLUMNS: &[&str] = &["title", "cairn_id", "case", "roles__en", "roles__ko"];
const EVENT_COLUMNS: &[&str] = &[
    "title",
    "cairn_id",
    "case",
    "event_title",
    "description",
    "date",
    "date_as_told",
    "date_certainty__en",
    "date_certainty__ko",
    "place",
];
const ATTACHMENT_COLUMNS: &[&str] = &[
    "title",
    "cairn_id",
    "case",
    "file_name",
    "media_type",
    "original_size",
    "original_sha256",
    "stored_size",
    "stored_sha256",
    "metadata",
    "added",
    "added_by",
];
const ACT_COLUMNS: &[&str] = &[
    "title",
    "cairn_id",
    "case",
    "event",
    "act_type__en",
    "act_type__ko",
    "victim",
    "perpetrator_agency__en",
    "perpetrator_agency__ko",
    "perpetrator_unit",
    "perpetrator_facility",
    "perpetrator_person",
    "consequences",
];
const TESTIMONY_COLUMNS: &[&str] = &[
    "title",
    "cairn_id",
    "case",
    "source",
    "interview_date",
    "interview_date_as_told",
    "place",
    "interviewer",
    "interpreter",
    "language",
    "consent_given__en",
    "consent_given__ko",
    "consent_scopes__en",
    "consent_scopes__ko",
    "consent_conditions",
    "narrative",
    "transcript",
    "audio",
];
const NOTE_COLUMNS: &[&str] = &["title", "cairn_id", "case", "date", "by", "text"];

/// Labels of the date certainties (not a vocabulary file: the model fixes them).
const CERTAINTY_LABELS: [(&str, &str, &str); 3] =
    [("exact", "Exact", "정확"), ("approximate", "Approximate", "대략"), ("uncertain", "Uncertain", "불확실")];

/// The Uwazi CSVs of `cases`, one per template in import order (a template without rows
/// still gets its header).
pub fn uwazi_files(cases: &[ExportedCase]) -> Vec<UwaziFile> {
    let titles = Titles::new(cases);
    let mut writers: Vec<CsvWriter> = UWAZI_TEMPLATES
        .iter()
        .map(|(_, _, columns)| {
            let mut writer = CsvWriter::default();
            writer.record(columns);
            writer
        })
        .collect();
    for (index, case) in cases.iter().enumerate() {
        write_case(&titles, index, case, &mut writers);
    }
    UWAZI_TEMPLATES
        .iter()
        .zip(writers)
        .map(|((folder, template, _), writer)| UwaziFile {
            folder,
            template,
            rows: writer.records() - 1,
            csv: writer.finish(),
        })
        .collect()
}

fn write_case(titles: &Titles, index: usize, case: &ExportedCase, writers: &mut [CsvWriter]) {
    let record = &case.view.record;
    let case_title = titles.case(index);
    let person = |id: &str| titles.get(index, id);
    let [cases, persons, events, attachments, acts, testimonies, notes] = writers else { return };

    let (status_en, status_ko) = label(VocabKind::CaseStatus, &record.status);
    let (risk_en, risk_ko) = label(VocabKind::RiskLevel, &record.risk);
    cases.record(&[
        case_title.to_owned(),
        id_to_hex(&case.view.id),
        status_en,
        status_ko,
        risk_en,
        risk_ko,
        record.team.clone(),
        multi(record.tags.iter().map(String::as_str)),
        day(record.created_at),
        record.created_by.clone(),
    ]);

    for (id, p) in &record.persons {
        let labels: Vec<_> = p.roles.iter().map(|role| label(VocabKind::Role, role)).collect();
        persons.record(&[
            person(id).to_owned(),
            id.clone(),
            case_title.to_owned(),
            multi(labels.iter().map(|(en, _)| en.as_str())),
            multi(labels.iter().map(|(_, ko)| ko.as_str())),
        ]);
    }

    for (event_id, event) in &record.events {
        let (certainty_en, certainty_ko) = certainty(&event.date_certainty);
        let event_title = titles.get(index, event_id);
        events.record(&[
            event_title.to_owned(),
            event_id.clone(),
            case_title.to_owned(),
            event.title.clone(),
            event.description.clone(),
            range(&event.date_start, &event.date_end),
            as_told(&event.date_start, &event.date_end),
            certainty_en,
            certainty_ko,
            event.place.clone(),
        ]);
        for (act_id, act) in &event.acts {
            let (type_en, type_ko) = label(VocabKind::ActType, &act.act_type);
            let (agency_en, agency_ko) = label(VocabKind::Agency, &act.perpetrator.agency);
            acts.record(&[
                titles.get(index, act_id).to_owned(),
                act_id.clone(),
                case_title.to_owned(),
                event_title.to_owned(),
                type_en,
                type_ko,
                person(&act.victim).to_owned(),
                agency_en,
                agency_ko,
                act.perpetrator.unit.clone(),
                act.perpetrator.facility.clone(),
                person(&act.perpetrator.person).to_owned(),
                act.consequences.clone(),
            ]);
        }
    }

    for (id, attachment) in &record.attachments {
        attachments.record(&[
            titles.get(index, id).to_owned(),
            id.clone(),
            case_title.to_owned(),
            attachment.file_name.clone(),
            attachment.media_type.clone(),
            attachment.original_size.to_string(),
            attachment.original_hash.clone(),
            attachment.stored_size.to_string(),
            attachment.stored_hash.clone(),
            attachment.metadata.clone(),
            day(attachment.added_at),
            attachment.added_by.clone(),
        ]);
    }

    for (id, testimony) in &case.view.testimonies {
        let id = id_to_hex(id);
        let (given_en, given_ko) = if testimony.consent.given { ("Yes", "예") } else { ("No", "아니요") };
        let scopes: Vec<_> = testimony.consent.scopes.iter().map(|scope| label(VocabKind::ConsentScope, scope)).collect();
        testimonies.record(&[
            titles.get(index, &id).to_owned(),
            id.clone(),
            case_title.to_owned(),
            person(&testimony.source_person).to_owned(),
            range(&testimony.date, ""),
            as_told(&testimony.date, ""),
            testimony.place.clone(),
            testimony.interviewer.clone(),
            testimony.interpreter.clone(),
            testimony.language.clone(),
            given_en.to_owned(),
            given_ko.to_owned(),
            multi(scopes.iter().map(|(en, _)| en.as_str())),
            multi(scopes.iter().map(|(_, ko)| ko.as_str())),
            testimony.consent.conditions.clone(),
            testimony.narrative.as_str().to_owned(),
            testimony.transcript.as_str().to_owned(),
            multi(testimony.audio.iter().map(|audio| titles.get(index, audio)).filter(|title| !title.is_empty())),
        ]);
    }

    for (id, note) in &record.notes {
        notes.record(&[
            titles.get(index, id).to_owned(),
            id.clone(),
            case_title.to_owned(),
            day(note.at),
            note.by.clone(),
            note.text.clone(),
        ]);
    }
}

/// The unique title of every exported entity, by case index and object id.
struct Titles {
    cases: Vec<String>,
    objects: HashMap<(usize, String), String>,
}

impl Titles {
    fn new(cases: &[ExportedCase]) -> Titles {
        // (key, preferred title, id for disambiguation), cases first so parts can use theirs.
        let mut case_titles = Vec::new();
        for case in cases {
            let id = id_to_hex(&case.view.id);
            case_titles.push((clean(&case.view.record.title, "case"), id));
        }
        let case_titles = disambiguate(case_titles);

        let mut objects: Vec<((usize, String), String)> = Vec::new();
        // Persons and attachments first: events, acts and testimonies name them.
        for (index, case) in cases.iter().enumerate() {
            let record = &case.view.record;
            for (id, person) in &record.persons {
                objects.push(((index, id.clone()), clean(&person.pseudonym, "person")));
            }
        }
        let mut titles = Titles { cases: case_titles, objects: HashMap::new() };
        titles.settle(objects);

        let mut objects = Vec::new();
        for (index, case) in cases.iter().enumerate() {
            let record = &case.view.record;
            let case_title = titles.case(index);
            for (id, event) in &record.events {
                objects.push(((index, id.clone()), format!("{case_title} — {}", clean(&event.title, "event"))));
            }
            for (id, attachment) in &record.attachments {
                objects.push(((index, id.clone()), format!("{case_title} — {}", clean(&attachment.file_name, "file"))));
            }
            for (id, testimony) in &case.view.testimonies {
                let mut title = format!("{case_title} — testimony of {}", titles.get(index, &testimony.source_person));
                if !testimony.date.is_empty() {
                    title.push_str(&format!(" ({})", clean(&testimony.date, "")));
                }
                objects.push(((index, id_to_hex(id)), title));
            }
            for (id, note) in &record.notes {
                let mut title = format!("{case_title} — note {}", minute(note.at));
                if !note.by.is_empty() {
                    title.push_str(&format!(" ({})", clean(&note.by, "")));
                }
                objects.push(((index, id.clone()), title));
            }
        }
        titles.settle(objects);

        let mut objects = Vec::new();
        for (index, case) in cases.iter().enumerate() {
            for (event_id, event) in &case.view.record.events {
                for (id, act) in &event.acts {
                    let (act_type, _) = label(VocabKind::ActType, &act.act_type);
                    let mut title = format!("{} — {}", titles.get(index, event_id), clean(&act_type, "act"));
                    let victim = titles.get(index, &act.victim);
                    if !victim.is_empty() {
                        title.push_str(&format!(" — {victim}"));
                    }
                    objects.push(((index, id.clone()), title));
                }
            }
        }
        titles.settle(objects);
        titles
    }

    /// Adds `objects`, disambiguating against each other and every title already given.
    fn settle(&mut self, objects: Vec<((usize, String), String)>) {
        let mut taken: HashMap<String, usize> = HashMap::new();
        for title in self.cases.iter().chain(self.objects.values()) {
            *taken.entry(title.clone()).or_default() += 1;
        }
        for (_, title) in &objects {
            *taken.entry(title.clone()).or_default() += 1;
        }
        for ((index, id), title) in objects {
            let title = if taken[&title] > 1 { format!("{title} [{}]", short(&id)) } else { title };
            self.objects.insert((index, id), title);
        }
    }

    fn case(&self, index: usize) -> &str {
        &self.cases[index]
    }

    /// The title of object `id` in case `index` (empty when there is no such object).
    fn get(&self, index: usize, id: &str) -> &str {
        self.objects.get(&(index, id.to_owned())).map(String::as_str).unwrap_or("")
    }
}

/// Titles made unique: a title given more than once gets its id's first 8 hex digits.
fn disambiguate(entries: Vec<(String, String)>) -> Vec<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (title, _) in &entries {
        *counts.entry(title.as_str()).or_default() += 1;
    }
    let repeated: Vec<bool> = entries.iter().map(|(title, _)| counts[title.as_str()] > 1).collect();
    entries
        .into_iter()
        .zip(repeated)
        .map(|((title, id), repeated)| if repeated { format!("{title} [{}]", short(&id)) } else { title })
        .collect()
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// A title part: one line, no `|`, never empty (`fallback` stands in).
fn clean(text: &str, fallback: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| match c {
            '|' => '/',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let trimmed = one_line.split_whitespace().collect::<Vec<_>>().join(" ");
    if trimmed.is_empty() { fallback.to_owned() } else { trimmed }
}

/// Several values in one cell, separated by `|` (a `|` inside a value becomes `/`).
fn multi<'a>(values: impl Iterator<Item = &'a str>) -> String {
    values.map(|value| value.replace('|', "/")).collect::<Vec<_>>().join("|")
}

/// The English and Korean labels of a vocabulary code (the code itself when the vocabulary
/// does not know it; empty for an empty code).
fn label(kind: VocabKind, code: &str) -> (String, String) {
    if code.is_empty() {
        return (String::new(), String::new());
    }
    match vocabulary(kind).ok().and_then(|vocabulary| vocabulary.term(code)) {
        Some(term) => (term.en.clone(), term.ko.clone()),
        None => (code.to_owned(), code.to_owned()),
    }
}

fn certainty(code: &str) -> (String, String) {
    // An event saved without a certainty is approximate (the model's default).
    let code = if code.is_empty() { "approximate" } else { code };
    CERTAINTY_LABELS
        .iter()
        .find(|(name, _, _)| *name == code)
        .map(|(_, en, ko)| ((*en).to_owned(), (*ko).to_owned()))
        .unwrap_or_else(|| (code.to_owned(), code.to_owned()))
}

/// An approximate date or period as an Uwazi date range `YYYY/MM/DD:YYYY/MM/DD`, from the
/// first day the start may mean to the last day the end (or the start) may mean. Empty when
/// there is no (valid) start.
fn range(start: &str, end: &str) -> String {
    let Ok(start) = ApproxDate::parse(start) else { return String::new() };
    let end = if end.trim().is_empty() { Ok(start) } else { ApproxDate::parse(end) };
    let Ok(end) = end else { return String::new() };
    let (first, last) = (start.earliest(), end.latest());
    format!("{:04}/{:02}/{:02}:{:04}/{:02}/{:02}", first.0, first.1, first.2, last.0, last.1, last.2)
}

/// The date as recorded (`2019-03`, or `2019-03/2019-05` for a period).
fn as_told(start: &str, end: &str) -> String {
    match (start.trim(), end.trim()) {
        (start, "") => start.to_owned(),
        (start, end) => format!("{start}/{end}"),
    }
}

/// (year, month, day, hour, minute) in UTC of a time in ms since the Unix epoch.
fn civil(ms: i64) -> (i64, u32, u32, u32, u32) {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (year, month, day) = crate::civil_from_days(days);
    (year, month as u32, day as u32, (of_day / 3600) as u32, (of_day % 3600 / 60) as u32)
}

/// `YYYY/MM/DD` (UTC) of a time in ms; empty for an unset time (0).
fn day(ms: i64) -> String {
    if ms == 0 {
        return String::new();
    }
    let (year, month, day, _, _) = civil(ms);
    format!("{year:04}/{month:02}/{day:02}")
}

/// `YYYY-MM-DD HH:MM UTC` of a time in ms, for titles.
fn minute(ms: i64) -> String {
    let (year, month, day, hour, minute) = civil(ms);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approximate_dates_become_ranges() {
        assert_eq!(range("2019", ""), "2019/01/01:2019/12/31");
        assert_eq!(range("2020-02", ""), "2020/02/01:2020/02/29");
        assert_eq!(range("2019-03-14", ""), "2019/03/14:2019/03/14");
        assert_eq!(range("2019-03", "2019-05"), "2019/03/01:2019/05/31");
        assert_eq!(range("", ""), "");
        assert_eq!(range("not a date", ""), "");
        assert_eq!(as_told("2019-03", "2019-05"), "2019-03/2019-05");
        assert_eq!(as_told("2019", ""), "2019");
    }

    #[test]
    fn times_are_utc_days() {
        assert_eq!(day(0), "");
        assert_eq!(day(1_700_000_000_000), "2023/11/14");
        assert_eq!(minute(1_700_000_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(day(951_782_400_000), "2000/02/29");
        assert_eq!(day(-86_400_000), "1969/12/31");
    }

    #[test]
    fn titles_are_one_line_without_bars() {
        assert_eq!(clean(" a|b\nc\r\n d ", "x"), "a/b c d");
        assert_eq!(clean("  ", "x"), "x");
        assert_eq!(multi(["a|b", "c"].into_iter()), "a/b|c");
        assert_eq!(
            disambiguate(vec![
                ("A".into(), "0123456789".into()),
                ("A".into(), "abcdef0123".into()),
                ("B".into(), "ff".into())
            ]),
            ["A [01234567]", "A [abcdef01]", "B"]
        );
    }

    /// docs/uwazi.md is the template HQ builds in Uwazi: it must name every column and list
    /// every thesaurus value with its Korean translation.
    #[test]
    fn the_documented_templates_match_the_export() {
        let doc = include_str!("../../../../docs/uwazi.md");
        for (folder, template, columns) in UWAZI_TEMPLATES {
            assert!(doc.contains(&format!("### {template} (`{folder}`)")), "{template} is not documented");
            for column in columns {
                assert!(doc.contains(&format!("`{column}`")), "{template}: {column} is not documented");
            }
        }
        for vocabulary in cairn_model::vocabularies().expect("vocabularies") {
            for term in &vocabulary.terms {
                assert!(doc.contains(&format!("| {} | {} |", term.en, term.ko)), "{} is not documented", term.code);
            }
        }
        for (_, en, ko) in CERTAINTY_LABELS {
            assert!(doc.contains(&format!("| {en} | {ko} |")));
        }
    }

    #[test]
    fn labels_come_from_the_vocabularies() {
        assert_eq!(label(VocabKind::ActType, "torture"), ("Torture".to_owned(), "고문".to_owned()));
        assert_eq!(label(VocabKind::ActType, "future_code"), ("future_code".to_owned(), "future_code".to_owned()));
        assert_eq!(label(VocabKind::Role, ""), (String::new(), String::new()));
        assert_eq!(certainty(""), ("Approximate".to_owned(), "대략".to_owned()));
    }
}
