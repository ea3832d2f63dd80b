//! The readable report of an evidence package (`report.html`), in English or Korean: the
//! case, its persons (identity fields only when HQ asked for them), events and acts,
//! testimonies, notes, attachments, handover receipts and the chain of custody.
//!
//! A static page for a browser that may be hostile to it: every piece of case content is
//! HTML-escaped (text only, never inside an attribute); there is no script, no event-handler
//! attribute, no link, image or other resource, and a Content-Security-Policy meta tag allows
//! nothing but the page's one style sheet (by its SHA-256), so even a browser that
//! mis-parsed the page would load and run nothing.

use std::{collections::BTreeMap, fmt::Write as _};

use cairn_crypto::ContentHasher;
use cairn_model::{VocabKind, vocabulary};

use super::{
    ReportLanguage,
    manifest::{ChangeEntry, DeviceEntry, DocumentEntry},
};
use crate::{
    cases::{IdentityField, RevealedIdentity},
    export::ExportedCase,
};

/// The page's style sheet (its hash is the only source the CSP allows).
const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;line-height:1.45;color:#111}\
h1{font-size:1.6em}h2{font-size:1.3em;border-bottom:1px solid #999;margin-top:2em}h3{font-size:1.1em}\
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top}\
th{background:#eee}.mono{font-family:ui-monospace,monospace;font-size:.8em;word-break:break-all}\
.text{white-space:pre-wrap}.flag{color:#900;font-weight:bold}.muted{color:#555}";

/// A receipt as the report shows it.
pub(crate) struct ReceiptLine {
    /// The signing HQ device's id (hex).
    pub(crate) signer: String,
    /// When HQ says it issued it; `None` when it does not parse.
    pub(crate) issued_at_ms: Option<u64>,
}

/// Everything the report shows.
pub(crate) struct ReportInput<'a> {
    pub(crate) language: ReportLanguage,
    pub(crate) case: &'a ExportedCase,
    /// The persons' identity fields, when they are included.
    pub(crate) identities: Option<&'a BTreeMap<String, RevealedIdentity>>,
    pub(crate) exported_at_ms: i64,
    pub(crate) exporting_device: &'a str,
    pub(crate) organisation_fingerprint: Option<&'a str>,
    pub(crate) device_fingerprint: &'a str,
    pub(crate) roster_version: Option<u64>,
    pub(crate) documents: &'a [DocumentEntry],
    pub(crate) changes: &'a [ChangeEntry],
    pub(crate) devices: &'a [DeviceEntry],
    pub(crate) receipts: &'a [ReceiptLine],
}

/// Escapes text for an HTML text node (and, to be safe anywhere, quotes too).
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Standard base64 (RFC 4648, with padding), for the CSP hash.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The Content-Security-Policy of the page: nothing but its style sheet.
fn csp() -> String {
    let mut hasher = ContentHasher::new();
    hasher.update(STYLE.as_bytes());
    format!(
        "default-src 'none'; style-src 'sha256-{}'; img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'",
        base64(&hasher.finish())
    )
}

/// A UTC date and time (`YYYY-MM-DD HH:MM:SS UTC`) from milliseconds since the Unix epoch.
pub(crate) fn utc(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    let (days, in_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = crate::civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC", in_day / 3600, in_day % 3600 / 60, in_day % 60)
}

/// The labels of one language.
struct Labels {
    title: &'static str,
    intro: &'static str,
    case_id: &'static str,
    exported_at: &'static str,
    exporting_device: &'static str,
    organisation: &'static str,
    device_fingerprint: &'static str,
    roster_version: &'static str,
    verify: &'static str,
    case: &'static str,
    case_title: &'static str,
    status: &'static str,
    risk: &'static str,
    team: &'static str,
    tags: &'static str,
    created: &'static str,
    created_by: &'static str,
    deleted: &'static str,
    yes: &'static str,
    no: &'static str,
    none: &'static str,
    persons: &'static str,
    pseudonym: &'static str,
    roles: &'static str,
    identity: &'static str,
    identity_left_out: &'static str,
    identity_sealed: &'static str,
    identity_fields: [&'static str; 5],
    events: &'static str,
    dates: &'static str,
    certainty: &'static str,
    place: &'static str,
    description: &'static str,
    act: &'static str,
    victim: &'static str,
    perpetrator: &'static str,
    consequences: &'static str,
    testimonies: &'static str,
    testimony: &'static str,
    source: &'static str,
    date: &'static str,
    interviewer: &'static str,
    interpreter: &'static str,
    language: &'static str,
    consent: &'static str,
    consent_given: &'static str,
    consent_not_given: &'static str,
    conditions: &'static str,
    narrative: &'static str,
    transcript: &'static str,
    arriving: &'static str,
    notes: &'static str,
    attachments: &'static str,
    file_name: &'static str,
    media_type: &'static str,
    size: &'static str,
    sha256: &'static str,
    added: &'static str,
    receipts: &'static str,
    receipt_signer: &'static str,
    issued: &'static str,
    custody: &'static str,
    custody_intro: &'static str,
    devices: &'static str,
    device: &'static str,
    name: &'static str,
    fingerprint: &'static str,
    role: &'static str,
    revoked_at: &'static str,
    document: &'static str,
    change: &'static str,
    signer: &'static str,
    first_seen: &'static str,
    verdict: &'static str,
    kinds: [&'static str; 3],
    verdicts: [&'static str; 5],
}

const EN: Labels = Labels {
    title: "Evidence report",
    intro: "A case exported by Cairn with its signed changes. The package's manifest.json names every file with its SHA-256; this page is one of them.",
    case_id: "Case id",
    exported_at: "Exported at",
    exporting_device: "Exporting device",
    organisation: "Organisation fingerprint",
    device_fingerprint: "Exporting device fingerprint",
    roster_version: "Roster version",
    verify: "To check this package offline: cairn verify PACKAGE --org-fingerprint FINGERPRINT (the organisation fingerprint as compared in person; outside an organisation, the exporting device's fingerprint).",
    case: "Case",
    case_title: "Title",
    status: "Status",
    risk: "Risk",
    team: "Team",
    tags: "Tags",
    created: "Created",
    created_by: "Created by",
    deleted: "Deleted by a team member (archived at HQ)",
    yes: "yes",
    no: "no",
    none: "none",
    persons: "Persons",
    pseudonym: "Pseudonym",
    roles: "Roles",
    identity: "Identity",
    identity_left_out: "Identity fields are not part of this report.",
    identity_sealed: "sealed: not readable by the exporting device",
    identity_fields: ["Real name", "Date of birth", "Home town", "Family", "Contact"],
    events: "Events and acts",
    dates: "Dates",
    certainty: "Certainty",
    place: "Place",
    description: "Description",
    act: "Act",
    victim: "Victim",
    perpetrator: "Perpetrator",
    consequences: "Consequences",
    testimonies: "Testimonies",
    testimony: "Testimony",
    source: "Source",
    date: "Date",
    interviewer: "Interviewer",
    interpreter: "Interpreter",
    language: "Language",
    consent: "Consent",
    consent_given: "given",
    consent_not_given: "not given",
    conditions: "Conditions",
    narrative: "Narrative",
    transcript: "Transcript",
    arriving: "Testimonies not (fully) held by the exporting device",
    notes: "Notes",
    attachments: "Attachments",
    file_name: "File name",
    media_type: "Type",
    size: "Size (bytes)",
    sha256: "SHA-256",
    added: "Added",
    receipts: "Handover receipts",
    receipt_signer: "Signed by (HQ device)",
    issued: "Issued",
    custody: "Chain of custody",
    custody_intro: "Every change of every document of the case, with the device that signed it and when the exporting vault first had it.",
    devices: "Devices that signed",
    device: "Device",
    name: "Name",
    fingerprint: "Fingerprint",
    role: "Role",
    revoked_at: "Revoked at roster version",
    document: "Document",
    change: "Change",
    signer: "Signer",
    first_seen: "First seen",
    verdict: "Verdict",
    kinds: ["case", "testimony", "receipts"],
    verdicts: [
        "signed",
        "FLAG: unsigned",
        "FLAG: signature does not verify",
        "FLAG: signer on no roster",
        "FLAG: first received after its signer's revocation",
    ],
};

const KO: Labels = Labels {
    title: "증거 보고서",
    intro: "Cairn이 서명된 변경 기록과 함께 내보낸 사건입니다. 패키지의 manifest.json은 이 페이지를 포함한 모든 파일과 그 SHA-256을 기록합니다.",
    case_id: "사건 ID",
    exported_at: "내보낸 시각",
    exporting_device: "내보낸 기기",
    organisation: "조직 지문",
    device_fingerprint: "내보낸 기기의 지문",
    roster_version: "명부 버전",
    verify: "이 패키지를 오프라인으로 확인하려면: cairn verify PACKAGE --org-fingerprint FINGERPRINT (직접 대조한 조직 지문; 조직 밖에서는 내보낸 기기의 지문).",
    case: "사건",
    case_title: "제목",
    status: "상태",
    risk: "위험도",
    team: "팀",
    tags: "태그",
    created: "작성",
    created_by: "작성자",
    deleted: "팀원이 삭제함 (본부 보관)",
    yes: "예",
    no: "아니오",
    none: "없음",
    persons: "인물",
    pseudonym: "가명",
    roles: "역할",
    identity: "신원",
    identity_left_out: "신원 정보는 이 보고서에 포함되지 않습니다.",
    identity_sealed: "봉인됨: 내보낸 기기가 읽을 수 없음",
    identity_fields: ["실명", "생년월일", "고향", "가족", "연락처"],
    events: "사건 경위와 행위",
    dates: "날짜",
    certainty: "확실성",
    place: "장소",
    description: "설명",
    act: "행위",
    victim: "피해자",
    perpetrator: "가해자",
    consequences: "결과",
    testimonies: "증언",
    testimony: "증언",
    source: "증언자",
    date: "날짜",
    interviewer: "면담자",
    interpreter: "통역",
    language: "언어",
    consent: "동의",
    consent_given: "동의함",
    consent_not_given: "동의하지 않음",
    conditions: "조건",
    narrative: "진술",
    transcript: "녹취록",
    arriving: "내보낸 기기가 (모두) 보유하지 않은 증언",
    notes: "메모",
    attachments: "첨부 파일",
    file_name: "파일 이름",
    media_type: "형식",
    size: "크기 (바이트)",
    sha256: "SHA-256",
    added: "추가",
    receipts: "인계 영수증",
    receipt_signer: "서명한 본부 기기",
    issued: "발급",
    custody: "관리 연속성 (Chain of custody)",
    custody_intro: "사건의 모든 문서의 모든 변경, 그 변경에 서명한 기기, 그리고 내보낸 보관소가 처음 받은 시각.",
    devices: "서명한 기기",
    device: "기기",
    name: "이름",
    fingerprint: "지문",
    role: "역할",
    revoked_at: "취소된 명부 버전",
    document: "문서",
    change: "변경",
    signer: "서명자",
    first_seen: "처음 받은 시각",
    verdict: "판정",
    kinds: ["사건", "증언", "영수증"],
    verdicts: [
        "서명됨",
        "주의: 서명 없음",
        "주의: 서명이 맞지 않음",
        "주의: 명부에 없는 서명자",
        "주의: 서명자 취소 후 처음 받음",
    ],
};

/// A vocabulary code's label in `language` (the code itself when unknown).
fn term(kind: VocabKind, code: &str, language: ReportLanguage) -> String {
    vocabulary(kind)
        .ok()
        .and_then(|vocabulary| vocabulary.term(code))
        .map(|term| if language == ReportLanguage::Korean { term.ko.clone() } else { term.en.clone() })
        .unwrap_or_else(|| code.to_owned())
}

fn terms(kind: VocabKind, codes: &[String], language: ReportLanguage) -> String {
    codes.iter().map(|code| term(kind, code, language)).collect::<Vec<_>>().join(", ")
}

/// A table row of label and (escaped) value.
fn row(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "<tr><th>{}</th><td class=\"text\">{}</td></tr>", escape(label), escape(value));
}

fn or_none<'s>(value: &'s str, labels: &'s Labels) -> &'s str {
    if value.is_empty() { labels.none } else { value }
}

/// The report as HTML.
pub(crate) fn render(input: &ReportInput<'_>) -> String {
    let labels = if input.language == ReportLanguage::Korean { &KO } else { &EN };
    let language = input.language;
    let view = &input.case.view;
    let record = &view.record;
    let case_hex = crate::cases::id_to_hex(&view.id);
    let pseudonym =
        |person: &str| record.persons.get(person).map(|p| p.pseudonym.clone()).unwrap_or_else(|| person.to_owned());
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n<title>{} — {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        language.code(),
        csp(),
        escape(labels.title),
        escape(&record.title)
    );
    let _ = writeln!(out, "<h1>{} — {}</h1>", escape(labels.title), escape(&record.title));
    let _ = writeln!(out, "<p class=\"muted\">{}</p>\n<table>", escape(labels.intro));
    row(&mut out, labels.case_id, &case_hex);
    row(&mut out, labels.exported_at, &utc(input.exported_at_ms));
    row(&mut out, labels.exporting_device, input.exporting_device);
    row(&mut out, labels.device_fingerprint, input.device_fingerprint);
    if let Some(fingerprint) = input.organisation_fingerprint {
        row(&mut out, labels.organisation, fingerprint);
    }
    if let Some(version) = input.roster_version {
        row(&mut out, labels.roster_version, &version.to_string());
    }
    let _ = writeln!(out, "</table>\n<p class=\"muted\">{}</p>", escape(labels.verify));

    // The case.
    let _ = writeln!(out, "<h2>{}</h2>\n<table>", escape(labels.case));
    row(&mut out, labels.case_title, &record.title);
    row(&mut out, labels.status, &term(VocabKind::CaseStatus, &record.status, language));
    row(&mut out, labels.risk, &term(VocabKind::RiskLevel, &record.risk, language));
    row(&mut out, labels.team, or_none(&record.team, labels));
    row(&mut out, labels.tags, or_none(&record.tags.join(", "), labels));
    row(&mut out, labels.created, &utc(record.created_at));
    row(&mut out, labels.created_by, &record.created_by);
    row(&mut out, labels.deleted, if input.case.deleted { labels.yes } else { labels.no });
    out.push_str("</table>\n");

    // Persons.
    let _ = writeln!(out, "<h2>{}</h2>", escape(labels.persons));
    if input.identities.is_none() {
        let _ = writeln!(out, "<p class=\"muted\">{}</p>", escape(labels.identity_left_out));
    }
    for (id, person) in &record.persons {
        let _ = writeln!(out, "<h3>{}</h3>\n<table>", escape(&person.pseudonym));
        row(&mut out, labels.pseudonym, &person.pseudonym);
        row(&mut out, labels.roles, or_none(&terms(VocabKind::Role, &person.roles, language), labels));
        if let Some(revealed) = input.identities.and_then(|identities| identities.get(id)) {
            for (field, label) in IdentityField::ALL.into_iter().zip(labels.identity_fields) {
                let value = if revealed.sealed.contains(&field) {
                    labels.identity_sealed.to_owned()
                } else {
                    or_none(revealed.identity.get(field).expose(), labels).to_owned()
                };
                row(&mut out, &format!("{} — {label}", labels.identity), &value);
            }
        }
        out.push_str("</table>\n");
    }

    // Events and acts.
    let _ = writeln!(out, "<h2>{}</h2>", escape(labels.events));
    for event in record.events.values() {
        let _ = writeln!(out, "<h3>{}</h3>\n<table>", escape(&event.title));
        let dates = match (event.date_start.as_str(), event.date_end.as_str()) {
            ("", "") => labels.none.to_owned(),
            (start, "") => start.to_owned(),
            (start, end) => format!("{start} – {end}"),
        };
        row(&mut out, labels.dates, &dates);
        row(&mut out, labels.certainty, or_none(&event.date_certainty, labels));
        row(&mut out, labels.place, or_none(&event.place, labels));
        row(&mut out, labels.description, or_none(&event.description, labels));
        for act in event.acts.values() {
            let perpetrator = [
                term(VocabKind::Agency, &act.perpetrator.agency, language),
                act.perpetrator.unit.clone(),
                act.perpetrator.facility.clone(),
                if act.perpetrator.person.is_empty() { String::new() } else { pseudonym(&act.perpetrator.person) },
            ]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" / ");
            let text = format!(
                "{}\n{}: {}\n{}: {}\n{}: {}",
                term(VocabKind::ActType, &act.act_type, language),
                labels.victim,
                or_none(&pseudonym(&act.victim), labels),
                labels.perpetrator,
                or_none(&perpetrator, labels),
                labels.consequences,
                or_none(&act.consequences, labels)
            );
            row(&mut out, labels.act, &text);
        }
        out.push_str("</table>\n");
    }

    // Testimonies.
    let _ = writeln!(out, "<h2>{}</h2>", escape(labels.testimonies));
    for (id, testimony) in &view.testimonies {
        let _ = writeln!(out, "<h3>{} {}</h3>\n<table>", escape(labels.testimony), escape(&crate::cases::id_to_hex(id)));
        row(&mut out, labels.source, or_none(&pseudonym(&testimony.source_person), labels));
        row(&mut out, labels.date, or_none(&testimony.date, labels));
        row(&mut out, labels.place, or_none(&testimony.place, labels));
        row(&mut out, labels.interviewer, or_none(&testimony.interviewer, labels));
        row(&mut out, labels.interpreter, or_none(&testimony.interpreter, labels));
        row(&mut out, labels.language, or_none(&testimony.language, labels));
        let consent = if testimony.consent.given {
            format!("{}: {}", labels.consent_given, terms(VocabKind::ConsentScope, &testimony.consent.scopes, language))
        } else {
            labels.consent_not_given.to_owned()
        };
        row(&mut out, labels.consent, &consent);
        row(&mut out, labels.conditions, or_none(&testimony.consent.conditions, labels));
        row(&mut out, labels.narrative, or_none(testimony.narrative.as_str(), labels));
        row(&mut out, labels.transcript, or_none(testimony.transcript.as_str(), labels));
        out.push_str("</table>\n");
    }
    if !view.arriving_testimonies.is_empty() {
        let ids: Vec<String> = view.arriving_testimonies.iter().map(crate::cases::id_to_hex).collect();
        let _ = writeln!(out, "<p>{}: <span class=\"mono\">{}</span></p>", escape(labels.arriving), escape(&ids.join(", ")));
    }

    // Notes.
    let _ = writeln!(out, "<h2>{}</h2>", escape(labels.notes));
    if !record.notes.is_empty() {
        out.push_str("<table>\n");
        for note in record.notes.values() {
            row(&mut out, &format!("{} · {}", utc(note.at), note.by), &note.text);
        }
        out.push_str("</table>\n");
    }

    // Attachments.
    let _ = writeln!(
        out,
        "<h2>{}</h2>\n<table>\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        escape(labels.attachments),
        escape(labels.file_name),
        escape(labels.media_type),
        escape(labels.size),
        escape(labels.sha256),
        escape(labels.added)
    );
    for attachment in record.attachments.values() {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td></tr>",
            escape(&attachment.file_name),
            escape(&attachment.media_type),
            attachment.stored_size,
            escape(&attachment.stored_hash),
            escape(&format!("{} · {}", utc(attachment.added_at), attachment.added_by))
        );
    }
    out.push_str("</table>\n");

    // Receipts.
    let _ = writeln!(out, "<h2>{}</h2>", escape(labels.receipts));
    if !input.receipts.is_empty() {
        let _ =
            writeln!(out, "<table>\n<tr><th>{}</th><th>{}</th></tr>", escape(labels.receipt_signer), escape(labels.issued));
        for receipt in input.receipts {
            let issued = receipt
                .issued_at_ms
                .map(|ms| utc(i64::try_from(ms).unwrap_or(i64::MAX)))
                .unwrap_or_else(|| labels.none.to_owned());
            let _ =
                writeln!(out, "<tr><td class=\"mono\">{}</td><td>{}</td></tr>", escape(&receipt.signer), escape(&issued));
        }
        out.push_str("</table>\n");
    }

    // Chain of custody.
    let _ = writeln!(out, "<h2>{}</h2>\n<p>{}</p>", escape(labels.custody), escape(labels.custody_intro));
    let _ = writeln!(
        out,
        "<h3>{}</h3>\n<table>\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        escape(labels.devices),
        escape(labels.device),
        escape(labels.name),
        escape(labels.fingerprint),
        escape(labels.role),
        escape(labels.revoked_at)
    );
    for device in input.devices {
        let _ = writeln!(
            out,
            "<tr><td class=\"mono\">{}</td><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td></tr>",
            escape(&device.id),
            escape(device.name.as_deref().unwrap_or("")),
            escape(&device.fingerprint),
            escape(device.role.as_deref().unwrap_or("")),
            device.revoked_at.map(|version| version.to_string()).unwrap_or_default()
        );
    }
    out.push_str("</table>\n");
    let names: BTreeMap<&str, &str> =
        input.devices.iter().filter_map(|device| Some((device.id.as_str(), device.name.as_deref()?))).collect();
    let kinds: BTreeMap<&str, &str> =
        input.documents.iter().map(|document| (document.id.as_str(), document.kind.as_str())).collect();
    let _ = writeln!(
        out,
        "<table>\n<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        escape(labels.document),
        escape(labels.change),
        escape(labels.signer),
        escape(labels.first_seen),
        escape(labels.roster_version),
        escape(labels.verdict)
    );
    for change in input.changes {
        let kind = match kinds.get(change.document.as_str()).copied() {
            Some("case") => labels.kinds[0],
            Some("testimony") => labels.kinds[1],
            _ => labels.kinds[2],
        };
        let signer = match (&change.signer, change.signer.as_deref().and_then(|id| names.get(id))) {
            (Some(id), Some(name)) => format!("{name} ({id})"),
            (Some(id), None) => id.clone(),
            (None, _) => labels.none.to_owned(),
        };
        let (verdict, flagged) = match change.verdict.as_str() {
            "signed" => (labels.verdicts[0], false),
            "unsigned" => (labels.verdicts[1], true),
            "bad_signature" => (labels.verdicts[2], true),
            "unknown_signer" => (labels.verdicts[3], true),
            _ => (labels.verdicts[4], true),
        };
        let _ = writeln!(
            out,
            "<tr><td>{} <span class=\"mono\">{}</span></td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td{}>{}</td></tr>",
            escape(kind),
            escape(&change.document),
            escape(&change.hash),
            escape(&signer),
            change.first_seen_ms.map(utc).unwrap_or_default(),
            change.first_roster_version.map(|version| version.to_string()).unwrap_or_default(),
            if flagged { " class=\"flag\"" } else { "" },
            escape(verdict)
        );
    }
    out.push_str("</table>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_dates_and_base64() {
        assert_eq!(escape("<img src=x onerror=alert(1)>&\"'"), "&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;");
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400_000 + 3_723_000), "2000-02-29 01:02:03 UTC");
        assert_eq!(utc(1_767_225_599_000), "2025-12-31 23:59:59 UTC");
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert!(csp().starts_with("default-src 'none'; style-src 'sha256-"));
    }
}
