//! The boundaries of ARCHITECTURE.md that `cargo deny` cannot see, because they are about what
//! the source says rather than what it depends on: SQL only in `cairn-store`, sockets only in the
//! network crates and front ends, terminal output only through the CLI's one printer. In the
//! spirit of rust-analyzer's `xtask tidy`: walk the sources, name every hit by file and line.
//!
//! The source is read the way a rough Rust lexer reads it: comments are skipped, string
//! literals are searched for SQL and the remaining code for socket types and print macros. This
//! is a guard rail against accidents, not a proof: SQL assembled from pieces goes unseen.
//!
//! Every exception is an entry in a rule's allow list, with its reason. Add to a list only
//! after changing the boundary in ARCHITECTURE.md (or for a reason as narrow as those below).

use std::{
    fs,
    path::{Path, PathBuf},
};

/// A place a rule does not apply, and why. In `path`, `*` matches one path segment and a
/// trailing `/` matches everything below.
struct Allow {
    path: &'static str,
    reason: &'static str,
}

/// One boundary, checked on the source text.
struct Rule {
    name: &'static str,
    /// The boundary as ARCHITECTURE.md states it, printed under the hits.
    boundary: &'static str,
    /// Where the rule does not apply.
    allow: &'static [Allow],
    /// Every hit in one source file: the line and what was found there.
    find: fn(&Lexed) -> Vec<(usize, String)>,
}

const SQL: Rule = Rule {
    name: "sql",
    boundary: "only cairn-store contains SQL and opens the database (rusqlite)",
    allow: &[
        Allow { path: "crates/cairn-store/", reason: "the store: its SQL, its tests, its benchmark baseline" },
        Allow {
            path: "crates/cairn-sqlite-memory/",
            reason: "the allocator SQLite runs on, installed through rusqlite's C API; its test has SQLite free memory",
        },
        Allow {
            path: "crates/cairn-core/benches/",
            reason: "baselines: the same workload on a bare SQLCipher table, to measure Cairn's overhead (BENCHMARKS.md)",
        },
        Allow { path: "tests/scenarios/tests/tidy.rs", reason: "this checker: its keyword list and test snippets" },
    ],
    find: find_sql,
};

const SOCKETS: Rule = Rule {
    name: "sockets",
    boundary: "only cairn-net, cairn-relay, the CLI, the desktop shell and the E2E client use sockets",
    allow: &[
        Allow { path: "crates/cairn-net/", reason: "the live transport: TCP with the Noise handshake (DESIGN §5)" },
        Allow { path: "crates/cairn-relay/", reason: "the HQ relay server (DESIGN §2; not written yet)" },
        Allow { path: "crates/cairn-cli/", reason: "a front end (DESIGN §2)" },
        Allow { path: "src-tauri/", reason: "a front end (DESIGN §2)" },
        Allow {
            path: "crates/cairn-core/benches/attachments.rs",
            reason: "the bench measures a sync over cairn-net on loopback, so it binds the listener a front end would",
        },
        Allow {
            path: "tests/e2e/",
            reason: "the WebDriver client talks HTTP to tauri-driver (today only through fantoccini)",
        },
    ],
    find: find_sockets,
};

/// `#[cfg(test)]` modules in `src/` are not exempt: telling them apart needs a parser, none
/// prints today, and an assertion's message is the place for what a unit test has to say.
const PRINT: Rule = Rule {
    name: "print",
    boundary: "nothing prints to the terminal but the CLI's one printer, so no user data leaks there by accident",
    allow: &[
        Allow { path: "crates/cairn-cli/src/output.rs", reason: "the CLI's one printer" },
        Allow { path: "crates/*/benches/", reason: "benchmark binaries print their measurements; they hold no real data" },
        Allow { path: "crates/*/build.rs", reason: "cargo reads build-script instructions from stdout" },
        Allow { path: "src-tauri/build.rs", reason: "cargo reads build-script instructions from stdout" },
        Allow {
            path: "src-tauri/src/main.rs",
            reason: "fixed-sentence startup errors (bad arguments, no window) when there is no window to show them",
        },
        Allow { path: "tests/e2e/src/", reason: "the E2E runner is a test harness: its report is its output" },
        Allow {
            path: "crates/*/tests/",
            reason: "integration tests: libtest captures their output; they hold no real data (e.g. measured peak memory)",
        },
    ],
    find: find_prints,
};

const RULES: [Rule; 3] = [SQL, SOCKETS, PRINT];

/// A Rust source file split the way the rules look at it.
struct Lexed {
    /// The source with comments and literals blanked to spaces; newlines are kept, so a
    /// position still has its line.
    code: String,
    /// Each string literal's contents with the line it starts on.
    strings: Vec<(usize, String)>,
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// If a comment or a literal starts at `s[i]`: where it ends (exclusive), and for a string the
/// range of its contents.
fn literal_at(s: &[char], i: usize) -> Option<(usize, Option<(usize, usize)>)> {
    let at = |k: usize| s.get(k).copied();
    let find = |from: usize, c: char| (from..s.len()).find(|&k| s[k] == c);
    match s[i] {
        '/' if at(i + 1) == Some('/') => Some((find(i, '\n').unwrap_or(s.len()), None)),
        '/' if at(i + 1) == Some('*') => {
            // Block comments nest in Rust.
            let (mut depth, mut k) = (0, i);
            while k < s.len() {
                if s[k] == '/' && at(k + 1) == Some('*') {
                    (depth, k) = (depth + 1, k + 2);
                } else if s[k] == '*' && at(k + 1) == Some('/') {
                    (depth, k) = (depth - 1, k + 2);
                    if depth == 0 {
                        return Some((k, None));
                    }
                } else {
                    k += 1;
                }
            }
            Some((s.len(), None))
        }
        '"' => {
            let mut k = i + 1;
            while k < s.len() && s[k] != '"' {
                k += if s[k] == '\\' { 2 } else { 1 };
            }
            let end = k.min(s.len());
            Some(((end + 1).min(s.len()), Some((i + 1, end))))
        }
        // A char literal ('x', '"', '\'', '\u{..}'); anything else after a quote is a lifetime
        // or a label, which is code.
        '\'' if at(i + 1) == Some('\\') => Some((find(i + 3, '\'').map_or(s.len(), |k| k + 1), None)),
        '\'' if at(i + 2) == Some('\'') => Some((i + 3, None)),
        // Raw strings r"..", r#".."#, br"..", cr".." (a `b` or `c` before a plain string is
        // left as code; the string itself is found at its quote).
        'r' | 'b' | 'c' if i == 0 || !is_ident(s[i - 1]) => {
            let mut k = if s[i] != 'r' && at(i + 1) == Some('r') { i + 1 } else { i };
            if s[k] != 'r' {
                return None;
            }
            k += 1;
            let hashes = (k..s.len()).take_while(|&j| s[j] == '#').count();
            k += hashes;
            if at(k) != Some('"') {
                return None; // a raw identifier (r#type) or a plain name
            }
            let closes = |j: usize| s[j] == '"' && (1..=hashes).all(|h| at(j + h) == Some('#'));
            let close = (k + 1..s.len()).find(|&j| closes(j)).unwrap_or(s.len());
            Some(((close + 1 + hashes).min(s.len()), Some((k + 1, close))))
        }
        _ => None,
    }
}

fn lex(source: &str) -> Lexed {
    let s: Vec<char> = source.chars().collect();
    let mut lexed = Lexed { code: String::with_capacity(source.len()), strings: Vec::new() };
    let (mut i, mut line) = (0, 1);
    while i < s.len() {
        let Some((end, contents)) = literal_at(&s, i) else {
            lexed.code.push(s[i]);
            line += usize::from(s[i] == '\n');
            i += 1;
            continue;
        };
        if let Some((from, to)) = contents {
            lexed.strings.push((line, s[from..to].iter().collect()));
        }
        for &c in &s[i..end] {
            lexed.code.push(if c == '\n' { '\n' } else { ' ' });
            line += usize::from(c == '\n');
        }
        i = end;
    }
    lexed
}

/// SQL in a string literal: the first keyword found and its byte offset.
fn sql_in(text: &str) -> Option<(usize, &'static str)> {
    // Both mappings change only ASCII bytes to ASCII bytes, so offsets stay valid.
    let spaced: String = text.chars().map(|c| if c.is_ascii_whitespace() { ' ' } else { c }).collect();
    let lower = spaced.to_ascii_lowercase();
    // Phrases that are SQL whatever their case.
    const ANY_CASE: [&str; 9] = [
        "insert into ",
        "delete from ",
        "create table ",
        "create virtual table ",
        "create index ",
        "create unique index ",
        "create trigger ",
        "alter table ",
        "pragma ",
    ];
    if let Some(found) = ANY_CASE.iter().find_map(|keyword| lower.find(keyword).map(|at| (at, *keyword))) {
        return Some(found);
    }
    // "select" and "update" are also English (UI text, test names): only upper case, which is
    // how this project writes SQL.
    if let Some(at) = spaced.find("SELECT ") {
        return Some((at, "SELECT"));
    }
    spaced.find("UPDATE ").filter(|&at| spaced[at..].contains(" SET ")).map(|at| (at, "UPDATE … SET"))
}

fn find_sql(lexed: &Lexed) -> Vec<(usize, String)> {
    let mut hits: Vec<(usize, String)> = lexed
        .strings
        .iter()
        .filter_map(|(line, text)| {
            let (at, keyword) = sql_in(text)?;
            Some((line + text[..at].matches('\n').count(), format!("SQL `{}` in a string", keyword.trim())))
        })
        .collect();
    hits.extend(find_tokens(lexed, &["rusqlite"]));
    hits.sort();
    hits
}

fn find_sockets(lexed: &Lexed) -> Vec<(usize, String)> {
    let tokens =
        ["std::net", "tokio::net", "TcpStream", "TcpListener", "UdpSocket", "UnixStream", "UnixListener", "UnixDatagram"];
    find_tokens(lexed, &tokens)
}

fn find_prints(lexed: &Lexed) -> Vec<(usize, String)> {
    find_tokens(lexed, &["println!", "print!", "eprintln!", "eprint!"])
}

/// The lines holding `tokens` in the code as whole tokens (so `print!` is not found in
/// `eprint!`, nor `TcpStream` in `MyTcpStreamExt`), once per line and token.
fn find_tokens(lexed: &Lexed, tokens: &[&str]) -> Vec<(usize, String)> {
    let code = &lexed.code;
    let mut hits = Vec::new();
    for token in tokens {
        for (at, _) in code.match_indices(token) {
            let before = code[..at].chars().next_back().is_some_and(is_ident);
            let after = token.ends_with(is_ident) && code[at + token.len()..].chars().next().is_some_and(is_ident);
            if !before && !after {
                hits.push((1 + code[..at].matches('\n').count(), format!("`{token}`")));
            }
        }
    }
    hits.sort();
    hits.dedup();
    hits
}

/// Whether `path` (relative to the workspace, `/`-separated) matches an allow-list pattern.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, below) = match pattern.strip_suffix('/') {
        Some(directory) => (directory, true),
        None => (pattern, false),
    };
    let mut segments = path.split('/');
    for wanted in pattern.split('/') {
        match segments.next() {
            Some(segment) if wanted == "*" || wanted == segment => {}
            _ => return false,
        }
    }
    below || segments.next().is_none()
}

fn allowed(rule: &Rule, path: &str) -> bool {
    rule.allow.iter().any(|allow| matches(allow.path, path))
}

/// Every boundary one file breaks, as `path:line: [rule] what`.
fn check(path: &str, source: &str) -> Vec<String> {
    let report = |rule: &Rule, line: usize, what: &str| format!("{path}:{line}: [{}] {what}", rule.name);
    if path.ends_with(".sql") {
        return if allowed(&SQL, path) { Vec::new() } else { vec![report(&SQL, 1, "an .sql file")] };
    }
    let lexed = lex(source);
    RULES
        .iter()
        .filter(|rule| !allowed(rule, path))
        .flat_map(|rule| (rule.find)(&lexed).into_iter().map(move |(line, what)| report(rule, line, &what)))
        .collect()
}

/// The `.rs` and `.sql` files under `directory`, skipping build output and hidden folders.
fn sources(directory: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(directory).expect("read a source folder") {
        let path = entry.expect("read a folder entry").path();
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        if path.is_dir() {
            // target/ holds generated Rust (build scripts, fuzz builds) that nobody reviews.
            if !(name.starts_with('.') || name == "target" || name == "node_modules") {
                sources(&path, found);
            }
        } else if name.ends_with(".rs") || name.ends_with(".sql") {
            found.push(path);
        }
    }
}

#[test]
fn the_sources_keep_the_boundaries_of_architecture_md() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for top in ["crates", "src-tauri", "tests"] {
        sources(&root.join(top), &mut files);
    }
    files.sort();
    // A wrong root would find nothing and pass.
    assert!(files.len() > 50, "only {} source files found under {}", files.len(), root.display());
    let mut violations = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&root).expect("below the root");
        let relative: Vec<_> = relative.components().map(|part| part.as_os_str().to_string_lossy()).collect();
        let source = fs::read_to_string(file).expect("read a source file");
        violations.extend(check(&relative.join("/"), &source));
    }
    let rules: Vec<String> = RULES.iter().map(|rule| format!("[{}] {}", rule.name, rule.boundary)).collect();
    assert!(
        violations.is_empty(),
        "{} boundary violations:\n{}\n\nThe boundaries (ARCHITECTURE.md, \"Boundaries\"; exceptions are the allow lists in {}):\n{}",
        violations.len(),
        violations.join("\n"),
        file!(),
        rules.join("\n")
    );
}

// The checker itself: each rule finds a hit and passes a near miss.

const MODEL: &str = "crates/cairn-model/src/lib.rs";

#[test]
fn sql_is_found_in_strings_outside_the_store() {
    let hits = check(MODEL, "fn f() {\n    let q = \"SELECT id FROM cases\";\n}\n");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0].starts_with("crates/cairn-model/src/lib.rs:2: [sql]"), "{hits:?}");
    // On a later line of a multi-line raw string, any case for unambiguous statements.
    let hits = check(MODEL, "const M: &str = r#\"\n  pragma journal_mode = WAL;\n\"#;\n");
    assert!(hits.len() == 1 && hits[0].contains(":2: [sql]"), "{hits:?}");
    assert_eq!(check(MODEL, "use rusqlite::Connection;\n").len(), 1);
    assert_eq!(check("crates/cairn-core/src/x.sql", "").len(), 1);
}

#[test]
fn sql_is_not_found_in_the_store_comments_or_english() {
    assert!(check("crates/cairn-store/src/records.rs", "const Q: &str = \"SELECT 1\";").is_empty());
    assert!(check(MODEL, "// SELECT id FROM cases\n/* INSERT INTO /* nested */ t */\n").is_empty());
    assert!(check(MODEL, "const S: &str = \"Select a file to update; then set it.\";").is_empty());
    assert!(check("crates/cairn-store/migrations/0001_vault.sql", "").is_empty());
}

#[test]
fn sockets_are_found_outside_the_network_crates() {
    let hits = check(MODEL, "use std::net::TcpStream;\nasync fn f() { tokio::net::UdpSocket::bind(A).await; }\n");
    assert_eq!(hits.len(), 4, "{hits:?}");
    assert!(hits[2].starts_with("crates/cairn-model/src/lib.rs:2: [sockets] `UdpSocket`"), "{hits:?}");
}

#[test]
fn sockets_are_not_found_in_front_ends_strings_or_longer_names() {
    assert!(check("src-tauri/src/main.rs", "use std::net::TcpListener;").is_empty());
    assert!(check(MODEL, "let doc = \"TcpStream\"; // std::net\nstruct MyTcpStreamExt;").is_empty());
}

#[test]
fn prints_are_found_outside_the_printer() {
    let hits =
        check("crates/cairn-cli/src/vault_commands.rs", "fn f() {\n    eprintln!(\"{}\", 1);\n    print!(\"x\");\n}\n");
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert!(hits[0].contains(":2: [print] `eprintln!`") && hits[1].contains(":3: [print] `print!`"), "{hits:?}");
}

#[test]
fn prints_are_not_found_in_the_printer_benches_strings_or_names() {
    assert!(check("crates/cairn-cli/src/output.rs", "println!(\"{x}\");").is_empty());
    assert!(check("crates/cairn-core/benches/cases.rs", "println!(\"{x}\");").is_empty());
    assert!(check(MODEL, "let s = \"println!\"; let c = '\"'; fn a<'b>(x: &'b str) { my_println!(x); }").is_empty());
}

#[test]
fn the_lexer_keeps_lines_and_skips_literals() {
    let lexed = lex("let a = b\"x\"; let c = '\\''; let d = br##\"y\"#\"##;\n// e\nlet r#f = 1;");
    let strings: Vec<&str> = lexed.strings.iter().map(|(_, text)| text.as_str()).collect();
    assert_eq!(strings, ["x", "y\"#"]);
    assert_eq!(lexed.code.lines().count(), 3);
    assert!(lexed.code.contains("let r#f = 1;"));
}

#[test]
fn allow_patterns_match_segments_and_folders() {
    assert!(matches("crates/*/benches/", "crates/cairn-core/benches/cases.rs"));
    assert!(matches("src-tauri/build.rs", "src-tauri/build.rs"));
    assert!(!matches("crates/*/benches/", "crates/cairn-core/src/benches.rs"));
    assert!(!matches("crates/cairn-cli/src/output.rs", "crates/cairn-cli/src/output.rs.bak"));
    assert!(!matches("crates/cairn-store/", "crates/cairn-store-extra/src/lib.rs"));
}

#[test]
fn every_exception_says_why() {
    for rule in &RULES {
        for allow in rule.allow {
            assert!(allow.reason.len() > 10, "{}: {} has no reason", rule.name, allow.path);
        }
    }
}
