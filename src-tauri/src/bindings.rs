//! The UI's TypeScript view of the bridge, generated from the Rust side so that there is one
//! definition of it: the DTOs (which derive `ts_rs::TS`), the command names
//! (`command_names.rs`) and the event names and payloads (`events.rs`).
//!
//! The generated files are checked in under `ui/src/lib/bindings/` (the UI builds without a
//! Rust toolchain) and `api.ts` imports and re-exports them. The test below regenerates them in
//! memory and fails when the checked-in files differ, so a renamed or retyped field breaks
//! `cargo test`, and the regenerated files then break the UI's type check (`svelte-check`) at
//! every use the change invalidates, instead of the app at run time. Regenerate with
//!
//! ```text
//! CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings
//! ```

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use ts_rs::{Config, TS, TypeVisitor};

use crate::{
    command_names::COMMANDS,
    commands::{attachments, bundles, cases, exports, handover, recording, sync, team, vault},
    error::CommandError,
    events,
    settings::Language,
    state::{LockReason, PhaseName},
    work::Progress,
};

/// How to regenerate, for the failure message and the generated files' headers.
const REGENERATE: &str = "CAIRN_UPDATE_BINDINGS=1 cargo test -p cairn-desktop bindings";

/// Where the generated files live, from this crate's folder.
fn bindings_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings")
}

fn config() -> Config {
    // serde_json writes 64-bit integers as JSON numbers and the webview parses them into
    // `number`s (not `bigint`, ts-rs's default); every such value here (sizes, times, versions)
    // stays far below 2^53.
    Config::new().with_large_int("number")
}

/// Collects a type and, recursively, every type it names, one file each.
struct Collect<'a> {
    config: &'a Config,
    files: &'a mut BTreeMap<String, String>,
}

impl TypeVisitor for Collect<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        // Primitives and containers (string, Array, …) have no file of their own.
        let Some(path) = T::output_path() else { return };
        let file = path.to_string_lossy().into_owned();
        if self.files.contains_key(&file) {
            return;
        }
        let text = T::export_to_string(self.config).unwrap_or_else(|error| panic!("{file}: {error}"));
        // ts-rs's own first line says the file is generated, but not how to regenerate it.
        let body = text.split_once('\n').map_or(text.as_str(), |(_, rest)| rest);
        self.files.insert(file, format!("{}{body}", header("the DTOs in src-tauri/src (ts-rs)")));
        T::visit_dependencies(self);
    }
}

fn header(source: &str) -> String {
    format!("// Generated from {source} by `{REGENERATE}`. Do not edit.\n")
}

/// `commands.ts`: the name of every command, so `api.ts` cannot call one that does not exist,
/// and the headers that carry `append_recording`'s arguments (its body is raw audio).
fn commands_ts() -> String {
    let mut text = header("src-tauri/src/command_names.rs and commands/recording.rs");
    text.push_str("\n/** The name of every command the shell registers (and grants). */\nexport type CommandName =\n");
    for name in COMMANDS {
        text.push_str(&format!("  | \"{name}\"\n"));
    }
    text.push_str(";\n");
    for (constant, value, doc) in [
        ("RECORDING_HEADER", recording::RECORDING_HEADER, "`append_recording`: the recording a piece belongs to."),
        (
            "OFFSET_HEADER",
            recording::OFFSET_HEADER,
            "`append_recording`: how many bytes of the recording came before the piece.",
        ),
    ] {
        text.push_str(&format!("\n/** {doc} */\nexport const {constant} = \"{value}\";\n"));
    }
    text
}

/// One event for `events.ts`: the TypeScript constant, the name, the payload type and its doc.
struct Event {
    constant: &'static str,
    name: &'static str,
    payload: String,
    doc: &'static str,
}

fn event<Payload: TS + 'static>(config: &Config, constant: &'static str, name: &'static str, doc: &'static str) -> Event {
    Event { constant, name, payload: Payload::name(config), doc }
}

/// `events.ts`: every event's name and what it carries.
fn events_ts(config: &Config) -> String {
    let all = [
        event::<LockReason>(
            config,
            "VAULT_LOCKED_EVENT",
            events::VAULT_LOCKED,
            "The vault was locked behind the page's back (idle auto-lock, sleep, screen lock).",
        ),
        event::<Progress>(
            config,
            "WORK_PROGRESS_EVENT",
            events::WORK_PROGRESS,
            "How far long work (importing or exporting a large attachment) is, at most ten times a second.",
        ),
        event::<sync::SyncProgress>(
            config,
            "SYNC_PROGRESS_EVENT",
            events::SYNC_PROGRESS,
            "How far a live sync is: listening, connected (with the peer's fingerprint), messages exchanged.",
        ),
        event::<bundles::BundleProgressDto>(
            config,
            "BUNDLE_PROGRESS_EVENT",
            events::BUNDLE_PROGRESS,
            "How far a bundle export or import (sync by USB stick) is: which file, which unit.",
        ),
    ];
    let mut text = header("src-tauri/src/events.rs");
    let payloads: std::collections::BTreeSet<&str> = all.iter().map(|event| event.payload.as_str()).collect();
    for payload in payloads {
        text.push_str(&format!("import type {{ {payload} }} from \"./{payload}\";\n"));
    }
    for event in &all {
        text.push_str(&format!("\n/** {} */\nexport const {} = \"{}\";\n", event.doc, event.constant, event.name));
    }
    text.push_str("\n/** What each event carries. */\nexport type EventPayloads = {\n");
    for event in &all {
        text.push_str(&format!("  \"{}\": {},\n", event.name, event.payload));
    }
    text.push_str("};\n");
    text
}

/// Every generated file, by name.
fn generate() -> BTreeMap<String, String> {
    let config = config();
    let mut files = BTreeMap::new();
    let mut collect = Collect { config: &config, files: &mut files };
    // What commands take and return, and what events carry; whatever these name comes along.
    collect.visit::<CommandError>();
    collect.visit::<PhaseName>();
    collect.visit::<LockReason>();
    collect.visit::<Language>();
    collect.visit::<Progress>();
    collect.visit::<vault::AppStateDto>();
    collect.visit::<vault::RecoveryCodeDto>();
    collect.visit::<vault::VaultStatusDto>();
    collect.visit::<cases::CaseSummaryDto>();
    collect.visit::<cases::SearchHitDto>();
    collect.visit::<handover::HandoverStatusDto>();
    collect.visit::<handover::CustodyTrailDto>();
    collect.visit::<exports::ExportWrittenDto>();
    collect.visit::<exports::ExportKindDto>();
    collect.visit::<exports::EvidenceWrittenDto>();
    collect.visit::<team::RosterExpiryDto>();
    collect.visit::<cases::CaseDto>();
    collect.visit::<cases::IdentityDto>();
    collect.visit::<cases::RevealedIdentityDto>();
    collect.visit::<cases::NewTestimonyDto>();
    collect.visit::<cases::NewEventDto>();
    collect.visit::<cases::NewActDto>();
    collect.visit::<cases::PersonEditDto>();
    collect.visit::<cases::EventEditDto>();
    collect.visit::<cases::ActEditDto>();
    collect.visit::<cases::TestimonyEditDto>();
    collect.visit::<cases::ConflictDto>();
    collect.visit::<cases::VocabularyDto>();
    collect.visit::<attachments::ImportedDto>();
    collect.visit::<recording::RecoveredDto>();
    collect.visit::<recording::MediaDto>();
    collect.visit::<team::DeviceDto>();
    collect.visit::<team::EnrollmentRequestDto>();
    collect.visit::<team::RosterPreviewDto>();
    collect.visit::<team::RosterImportedDto>();
    collect.visit::<team::RosterDto>();
    collect.visit::<team::OrganisationDto>();
    collect.visit::<team::RequestPreviewDto>();
    collect.visit::<team::IssuedDto>();
    collect.visit::<sync::SyncProgress>();
    collect.visit::<sync::OutcomeDto>();
    collect.visit::<sync::OverviewDto>();
    collect.visit::<sync::FoundDto>();
    collect.visit::<bundles::BundleProgressDto>();
    collect.visit::<bundles::ExportDto>();
    collect.visit::<bundles::ImportDto>();

    let mut index = header("the DTOs in src-tauri/src");
    index.push('\n');
    for file in files.keys() {
        let module = file.trim_end_matches(".ts");
        index.push_str(&format!("export type {{ {module} }} from \"./{module}\";\n"));
    }
    files.insert("commands.ts".to_owned(), commands_ts());
    files.insert("events.ts".to_owned(), events_ts(&config));
    files.insert("index.ts".to_owned(), index);
    files
}

/// The `.ts` files now in the bindings folder, by name.
fn checked_in(dir: &Path) -> BTreeMap<String, String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return BTreeMap::new() };
    entries
        .map(|entry| entry.expect("a bindings entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "ts"))
        .map(|path| {
            let name = path.file_name().expect("a file name").to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).expect("a bindings file"))
        })
        .collect()
}

#[test]
fn the_checked_in_bindings_are_up_to_date() {
    let dir = bindings_dir();
    let generated = generate();
    if std::env::var_os("CAIRN_UPDATE_BINDINGS").is_some_and(|value| value == "1") {
        std::fs::create_dir_all(&dir).expect("create the bindings folder");
        for stale in checked_in(&dir).keys().filter(|name| !generated.contains_key(*name)) {
            std::fs::remove_file(dir.join(stale)).expect("remove a stale binding");
        }
        for (name, text) in &generated {
            std::fs::write(dir.join(name), text).expect("write a binding");
        }
        return;
    }
    let on_disk = checked_in(&dir);
    let mut differing: Vec<&str> =
        generated.iter().filter(|(name, text)| on_disk.get(*name) != Some(*text)).map(|(name, _)| name.as_str()).collect();
    differing.extend(on_disk.keys().filter(|name| !generated.contains_key(*name)).map(String::as_str));
    assert!(
        differing.is_empty(),
        "ui/src/lib/bindings/ does not match the Rust DTOs, command names or events ({}). \
         Regenerate it with `{REGENERATE}`, then run the UI's type check (`npm run check` in ui/) \
         and commit both.",
        differing.join(", ")
    );
}

/// The generated types read as the UI expects them: numbers for 64-bit integers, optional
/// fields for edits (left out: unchanged), the roster standing as a tagged union.
#[test]
fn the_generated_types_follow_serde() {
    let files = generate();
    let file = |name: &str| files.get(name).unwrap_or_else(|| panic!("{name} generated")).as_str();
    assert!(file("Attachment.ts").contains("stored_size: number"));
    assert!(file("EventEdit.ts").contains("title?: string"));
    assert!(file("Standing.ts").contains("\"kind\": \"member\""));
    assert!(file("Phase.ts").contains("\"no_vault\""));
    assert!(file("events.ts").contains("export const VAULT_LOCKED_EVENT = \"vault-locked\";"));
    assert!(!files.values().any(|text| text.contains("bigint")));
}
