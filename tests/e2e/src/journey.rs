//! The journey a field worker takes, in the real window: first run, recovery code, settings,
//! a case with a person (identity kept hidden), a testimony, an event and an act, a note, all in
//! Korean; search; the team screen; lock, a wrong passphrase; HQ (the `cairn` command line)
//! enrolls the device; unlock; live sync with that device over loopback, whose case appears; the
//! idle auto-lock, and unlock again with everything still there; handover; the lock from another
//! program's keyboard focus; a re-key from Settings; and last, a duress
//! passphrase that opens an empty decoy and ends the vault, and the panic wipe. Screenshots of each main screen in
//! both languages.

use std::{future::Future, path::Path, time::Duration};

use anyhow::{Result, bail, ensure};
use tokio::time::Instant;

use crate::{
    driver::{DEFAULT_WAIT, Window},
    peer::Peer,
};

/// The passphrase of the test vault: Korean and English, as a field worker might choose.
const PASSPHRASE: &str = "압록강 건너 새벽 세시 river";
const WRONG_PASSPHRASE: &str = "압록강 건너 새벽 네시 river";
/// The passphrase after the re-key near the end of the journey.
const REKEYED_PASSPHRASE: &str = "새 열쇠 두만강 건너 dawn";
/// The duress passphrase set at the end of the journey.
const DURESS_PASSPHRASE: &str = "두만강 아침 장마당 market";
/// The case, person and testimony, in Korean.
const CASE_TITLE: &str = "두만강 도강 사건";
const PSEUDONYM: &str = "제보자-17";
const REAL_NAME: &str = "김영희";
const NARRATIVE: &str = "2019년 겨울 밤에 얼어붙은 강을 건너 연길의 친척 집에 숨어 지냈다.";
const NARRATIVE_MORE: &str = " 석 달 뒤 공안에 붙잡혔다.";
/// A word that occurs only in the narrative.
const SEARCH_WORD: &str = "얼어붙은";
/// The case the other team device (HQ, the `cairn` command line) wrote, which sync brings.
const PEER_CASE_TITLE: &str = "회령 구류장 본부 기록";
/// A case HQ writes after the live sync, which reaches the app only by USB stick.
const STICK_CASE_TITLE: &str = "온성 이송 기록 USB";
/// HQ's name for the app's device on the roster, and HQ's own.
const DEVICE_NAME: &str = "현장 노트북 1";
const HQ_NAME: &str = "본부 HQ";

/// Plays the audio element muted for a moment, then seeks 2.5 s in; answers what happened
/// (with the element's state, so a failure says where it stopped).
const PLAY_AND_SEEK: &str = r#"
const done = arguments[arguments.length - 1];
const audio = document.querySelector('[data-testid="audio-player"]');
let stage = 'load';
const state = () => ({ stage, readyState: audio.readyState, networkState: audio.networkState,
  duration: audio.duration, currentTime: audio.currentTime, code: audio.error && audio.error.code,
  message: audio.error && audio.error.message });
const fail = (error) => done({ error: String(error), ...state() });
audio.addEventListener('error', () => fail('media error'));
const whenEvent = (name) => new Promise((resolve) => audio.addEventListener(name, resolve, { once: true }));
setTimeout(() => fail('timed out'), 25000);
(async () => {
  audio.muted = true;
  if (audio.readyState < 1) await whenEvent('loadedmetadata');
  stage = 'play';
  await audio.play();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const played = audio.currentTime;
  audio.pause();
  stage = 'seek';
  const target = 2.5;
  audio.currentTime = target;
  if (audio.seeking) await whenEvent('seeked');
  done({ error: null, played, target, seeked: audio.currentTime, ...state() });
})().catch(fail);
"#;

/// Records a second of audio in the page and answers the printable container signature at
/// its start (`ftyp` and brand for MP4, `OpusHead` for Ogg, the doc type for WebM).
const RECORDER_SIGNATURE: &str = r#"
const done = arguments[arguments.length - 1];
(async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const recorder = new MediaRecorder(stream);
  const parts = [];
  recorder.ondataavailable = (event) => parts.push(event.data);
  const stopped = new Promise((resolve) => (recorder.onstop = resolve));
  recorder.start();
  await new Promise((resolve) => setTimeout(resolve, 1200));
  recorder.stop();
  await stopped;
  stream.getTracks().forEach((track) => track.stop());
  const head = new Uint8Array(await new Blob(parts).slice(0, 64).arrayBuffer());
  const text = Array.from(head, (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
  const match = text.match(/ftyp[A-Za-z0-9]{4}|OpusHead/);
  done({ signature: match ? match[0] : '', mime: recorder.mimeType });
})().catch((error) => done({ signature: '', error: String(error) }));
"#;

/// Steps passed and failed.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) passed: usize,
    pub(crate) failed: usize,
}

impl Report {
    async fn step(&mut self, name: &str, work: impl Future<Output = Result<()>>) -> Result<()> {
        let started = Instant::now();
        match work.await {
            Ok(()) => {
                self.passed += 1;
                println!("ok    {name} ({:.1} s)", started.elapsed().as_secs_f64());
                Ok(())
            }
            Err(error) => {
                self.failed += 1;
                println!("FAIL  {name}: {error:#}");
                Err(error)
            }
        }
    }
}

/// Runs the whole journey; stops at the first failed step (the later ones depend on it).
pub(crate) async fn run(app: &Path, screenshots: &Path, cairn: &Path) -> Report {
    let mut report = Report::default();
    // Everything the app writes is written from now on (the plaintext scans read only that).
    let started = std::time::SystemTime::now();
    let folder = match tempfile::tempdir() {
        Ok(folder) => folder,
        Err(error) => {
            println!("FAIL  make a temporary folder: {error}");
            report.failed += 1;
            return report;
        }
    };
    let args = vec![
        "--vault".to_owned(),
        folder.path().join("vault").display().to_string(),
        "--config-dir".to_owned(),
        folder.path().join("config").display().to_string(),
        "--insecure-fast-kdf-for-tests".to_owned(),
        // The Sync screen's folder picker answers this folder (the "stick"): WebDriver cannot
        // drive a native dialog.
        "--pick-folder-for-tests".to_owned(),
        folder.path().join("stick").display().to_string(),
    ];
    let window = match crate::launch(app, &args, screenshots).await {
        Ok(window) => window,
        Err(error) => {
            println!("FAIL  launch the app: {error:#}");
            report.failed += 1;
            return report;
        }
    };
    if journey(&window, &mut report, folder.path(), &Peer::new(cairn), started).await.is_err() {
        let _ = window.screenshot("FAILED").await;
    }
    if let Err(error) = window.client.close().await {
        println!("warning: the WebDriver session did not close cleanly: {error}");
    }
    report
}

async fn both_languages(w: &Window, name: &str) -> Result<()> {
    w.click("lang-ko").await?;
    w.screenshot(&format!("{name}-ko")).await?;
    w.click("lang-en").await?;
    w.screenshot(&format!("{name}-en")).await?;
    w.click("lang-ko").await
}

async fn journey(w: &Window, report: &mut Report, folder: &Path, peer: &Peer, started: std::time::SystemTime) -> Result<()> {
    // What the team screen shows, for HQ: the device's fingerprint and its enrollment request.
    let mut device_fingerprint = String::new();
    let mut request_text = String::new();
    // The HQ vault, its organisation fingerprint and its device fingerprint.
    let hq = folder.join("hq");
    let mut org_fingerprint = String::new();
    let mut hq_fingerprint = String::new();

    report
        .step("first run opens in Korean (the system locale is Korean) and switches to English", async {
            w.get("first-run").await?;
            ensure!(w.present("test-mode").await, "the test-mode warning is missing");
            let heading = w.heading().await?;
            ensure!(heading == "케언에 오신 것을 환영합니다", "heading {heading:?}");
            w.screenshot("01-first-run-ko").await?;
            w.click("lang-en").await?;
            let heading = w.heading().await?;
            ensure!(heading == "Welcome to Cairn", "heading {heading:?}");
            w.screenshot("01-first-run-en").await?;
            w.click("lang-ko").await
        })
        .await?;

    report
        .step("create a vault with a Korean passphrase typed twice", async {
            w.type_into("new-passphrase", "짧은암호").await?;
            let weak = w.get("strength").await?.attr("data-strength").await?;
            ensure!(weak.as_deref() == Some("0"), "a short passphrase rated {weak:?}");
            w.type_into("new-passphrase", PASSPHRASE).await?;
            let strength = w.get("strength").await?.attr("data-strength").await?.unwrap_or_default();
            ensure!(strength.parse::<u8>().unwrap_or(0) >= 3, "strength {strength}");
            w.type_into("new-passphrase-again", "압록강").await?;
            w.get("mismatch-hint").await?;
            w.type_into("new-passphrase-again", PASSPHRASE).await?;
            w.wait_gone("mismatch-hint", DEFAULT_WAIT).await?;
            both_languages(w, "02-create-vault").await?;
            w.click("create-vault").await
        })
        .await?;

    let mut code = String::new();
    report
        .step("the recovery code is shown once", async {
            let shown = w.wait_for("[data-testid=\"recovery-code\"]", Duration::from_secs(90)).await?.text().await?;
            let groups: Vec<&str> = shown.split('-').collect();
            ensure!(
                groups.len() == 8 && groups.iter().all(|g| g.len() == 4),
                "recovery code looks like {} groups",
                groups.len()
            );
            code = shown;
            both_languages(w, "03-recovery-code").await?;
            w.click("code-written").await?;
            ensure!(!w.present("recovery-code").await, "the code is still on screen while it is typed back");
            Ok(())
        })
        .await?;

    report
        .step("a mistyped recovery code is refused with a clear message, the right one opens the app", async {
            let mut typo: Vec<char> = code.chars().collect();
            typo[0] = if typo[0] == 'A' { 'B' } else { 'A' };
            w.type_into("confirm-code", &typo.into_iter().collect::<String>()).await?;
            w.click("confirm-code-submit").await?;
            w.wait_text("error", "오타", DEFAULT_WAIT).await?;
            both_languages(w, "04-recovery-code-typo").await?;
            ensure!(!w.present("shell").await, "the app opened with a wrong code");
            w.type_into("confirm-code", &code.to_lowercase().replace('-', " ")).await?;
            w.click("confirm-code-submit").await?;
            w.get("shell").await?;
            w.get("no-cases").await?;
            both_languages(w, "05-cases-empty").await
        })
        .await?;

    report
        .step("create a case in Korean", async {
            w.type_into("new-case-title", CASE_TITLE).await?;
            w.click("create-case").await?;
            w.wait_text("case-title", CASE_TITLE, DEFAULT_WAIT).await?;
            Ok(())
        })
        .await?;

    report
        .step("add a person: pseudonym shown, identity marked sensitive and hidden until asked for", async {
            w.click("person-add").await?;
            w.wait_text("identity-block", "민감", DEFAULT_WAIT).await?;
            w.type_into("person-pseudonym-input", PSEUDONYM).await?;
            w.click("role-source").await?;
            w.click("role-victim").await?;
            w.type_into("identity-real_name", REAL_NAME).await?;
            w.type_into("identity-home_town", "회령").await?;
            both_languages(w, "10-person-form").await?;
            w.click("person-save").await?;
            w.wait_text("person-pseudonym", PSEUDONYM, DEFAULT_WAIT).await?;
            let page = w.page_text().await?;
            ensure!(!page.contains(REAL_NAME), "the real name is on screen without being asked for");
            w.wait_text("persons", "실명", DEFAULT_WAIT).await?;
            w.click("reveal-identity").await?;
            w.wait_text("identity-revealed", REAL_NAME, DEFAULT_WAIT).await?;
            both_languages(w, "11-person-identity-shown").await?;
            w.click("reveal-identity").await?;
            w.wait_gone("identity-revealed", DEFAULT_WAIT).await
        })
        .await?;

    report
        .step("add a testimony in Korean, and the narrative editor saves by itself", async {
            w.click("tab-testimonies").await?;
            w.click("testimony-add").await?;
            w.select_label("testimony-source", PSEUDONYM).await?;
            w.type_into("testimony-date", "2026-11-20").await?;
            w.type_into("testimony-place", "연길").await?;
            w.type_into("testimony-interviewer", "활동가 가").await?;
            w.click("testimony-consent").await?;
            w.click("scope-documentation").await?;
            w.click("scope-share_with_hq").await?;
            w.type_into("testimony-narrative", NARRATIVE).await?;
            w.click("testimony-save").await?;
            let narrative = w.get("narrative").await?.prop("value").await?.unwrap_or_default();
            ensure!(narrative == NARRATIVE, "the narrative reads {narrative:?}");
            w.append("narrative", NARRATIVE_MORE).await?;
            let deadline = Instant::now() + DEFAULT_WAIT;
            while w.get("narrative-status").await?.attr("data-status").await?.as_deref() != Some("saved") {
                ensure!(Instant::now() < deadline, "the narrative was not saved");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            both_languages(w, "12-testimony").await
        })
        .await?;

    report
        .step("add an event with an approximate date and an act from the vocabularies", async {
            w.click("tab-events").await?;
            w.click("event-add").await?;
            w.type_into("event-title", "강제 송환").await?;
            w.type_into("event-date-start", "2019-03").await?;
            w.select("event-certainty", "approximate").await?;
            w.type_into("event-place", "투먼").await?;
            w.click("event-save").await?;
            w.wait_text("event", "2019-03", DEFAULT_WAIT).await?;
            w.click("act-add").await?;
            w.select("act-type", "forced_repatriation").await?;
            w.select_label("act-victim", PSEUDONYM).await?;
            w.click("act-save").await?;
            w.wait_text("act", "강제송환", DEFAULT_WAIT).await?;
            w.wait_text("act", PSEUDONYM, DEFAULT_WAIT).await?;
            both_languages(w, "13-events-and-acts").await?;
            w.click("tab-notes").await?;
            w.type_into("note-text", "재면담 필요").await?;
            w.click("note-save").await?;
            w.wait_text("note", "재면담 필요", DEFAULT_WAIT).await?;
            w.click("tab-attachments").await?;
            w.get("attachment-import").await?;
            both_languages(w, "14-attachments").await?;
            w.click("tab-conflicts").await?;
            w.get("no-conflicts").await?;
            Ok(())
        })
        .await?;

    report
        .step("record audio in the app, sealed as it is recorded; play it back streamed, and seek", async {
            w.click("tab-attachments").await?;
            w.click("record-start").await?;
            // The testimony's consent does not cover audio recording: the app asks first.
            w.wait_text("record-consent", "녹음 동의", DEFAULT_WAIT).await?;
            both_languages(w, "14-recording-consent").await?;
            w.click("record-consent-confirm").await?;
            w.wait_text("record-status", "녹음 중", DEFAULT_WAIT).await?;
            // The top bar shows the recording on every screen, and leads back to its case.
            w.click("nav-team").await?;
            w.wait_text("recording-indicator", "녹음 중", DEFAULT_WAIT).await?;
            w.click("recording-indicator").await?;
            w.wait_text("record-status", "녹음 중", DEFAULT_WAIT).await?;
            tokio::time::sleep(Duration::from_secs(3)).await;
            // The level meter hears the microphone (WebKit's mock capture plays a tone).
            let level = w.script("return document.querySelector('[data-testid=\"recording-level\"]').value;").await?;
            ensure!(level.as_f64().is_some_and(|level| level > 0.0), "the level meter shows {level} while the tone plays");
            both_languages(w, "14-recording").await?;
            w.click("record-stop").await?;
            w.wait_text("record-saved", "저장", DEFAULT_WAIT).await?;
            w.wait_text("attachment", "케언에서 녹음", DEFAULT_WAIT).await?;
            // Linked to the testimony it records (the case has one).
            w.wait_text("attachment-testimony", "제보자-17의 증언에 연결됨", DEFAULT_WAIT).await?;
            w.click("audio-play").await?;
            w.get("audio-player").await?;
            let playback = w.client.execute_async(PLAY_AND_SEEK, vec![]).await?;
            ensure!(playback["error"].is_null(), "playback failed: {playback}");
            let played = playback["played"].as_f64().unwrap_or(0.0);
            let seeked = playback["seeked"].as_f64().unwrap_or(-1.0);
            ensure!(played > 0.2, "playback did not advance: {playback}");
            // 2.5 s into a recording of about 4 s: past the first pieces, so the player had
            // to ask for a range further into the file.
            ensure!((seeked - 2.5).abs() < 0.5, "seeking to 2.5 s landed at {seeked}: {playback}");
            println!("      (played {played:.1} s, then seeked to {seeked:.1} s: {playback})");
            both_languages(w, "14-recording-saved").await
        })
        .await?;

    report
        .step("no recorded audio reaches the disk in plaintext", async {
            // Learn the container signature this WebKit's recorder writes (e.g. `ftypiso5`), so
            // the scan looks for what a leak would really contain.
            let probe = w.client.execute_async(RECORDER_SIGNATURE, vec![]).await?;
            let signature = probe["signature"].as_str().unwrap_or_default().to_owned();
            ensure!(signature.len() >= 7, "the recorder's signature could not be read: {probe}");
            let mut roots = vec![folder.to_path_buf()];
            if let Some(scratch) = std::env::var_os("CAIRN_E2E_SCRATCH") {
                roots.push(scratch.into());
            }
            let (files, hits) = crate::scan::scan_for(&roots, signature.as_bytes())?;
            ensure!(files > 3, "only {files} files were scanned");
            ensure!(hits.is_empty(), "audio in plaintext ({signature}) in: {hits:?}");
            println!("      ({files} files scanned for {signature:?}: none holds it)");
            Ok(())
        })
        .await?;

    report
        .step("a recording cut off by locking is recovered at unlock, marked interrupted", async {
            w.click("record-start").await?;
            w.click("record-consent-confirm").await?;
            w.wait_text("record-status", "녹음 중", DEFAULT_WAIT).await?;
            // More than one 64 KiB chunk of audio: only complete chunks survive a cut-off.
            tokio::time::sleep(Duration::from_secs(14)).await;
            w.click("lock").await?;
            w.get("unlock-screen").await?;
            w.type_into("unlock-passphrase", PASSPHRASE).await?;
            w.click("unlock").await?;
            w.wait_text("recordings-recovered", "복구", DEFAULT_WAIT).await?;
            both_languages(w, "14-recording-recovered").await?;
            w.click("case-row").await?;
            w.wait_text("case-title", CASE_TITLE, DEFAULT_WAIT).await?;
            w.click("tab-attachments").await?;
            w.wait_text("attachments", "녹음 중단됨", DEFAULT_WAIT).await?;
            Ok(())
        })
        .await?;

    report
        .step("search finds the case by a word of the testimony", async {
            w.click("case-back").await?;
            w.wait_text("case-list", CASE_TITLE, DEFAULT_WAIT).await?;
            w.type_into("case-search", SEARCH_WORD).await?;
            w.click("case-search-submit").await?;
            w.wait_text("search-snippet", SEARCH_WORD, DEFAULT_WAIT).await?;
            w.wait_text("search-count", "1건", DEFAULT_WAIT).await?;
            w.wait_text("case-list", CASE_TITLE, DEFAULT_WAIT).await?;
            both_languages(w, "15-search").await?;
            w.type_into("case-search", "없는낱말").await?;
            w.click("case-search-submit").await?;
            w.get("no-match").await?;
            w.click("filters-toggle").await?;
            w.select("filter-act", "forced_repatriation").await?;
            w.click("case-search-clear").await?;
            w.wait_text("case-list", CASE_TITLE, DEFAULT_WAIT).await?;
            w.select("filter-act", "torture").await?;
            w.get("no-match").await?;
            w.select("filter-act", "").await
        })
        .await?;

    report
        .step("team: this device's fingerprint and its enrollment request as a QR code", async {
            w.click("nav-team").await?;
            let fingerprint = w.text("device-fingerprint").await?;
            ensure!(fingerprint.len() >= 16, "fingerprint {fingerprint:?}");
            w.type_into("request-name", DEVICE_NAME).await?;
            w.click("request-make").await?;
            w.get("qr-code").await?;
            request_text = w.wait_text("request-text", "CAIRN-ENROLL1:", DEFAULT_WAIT).await?;
            device_fingerprint = fingerprint;
            both_languages(w, "16-team").await
        })
        .await?;

    report
        .step("settings: the auto-lock is set to its minimum, one minute", async {
            w.click("nav-settings").await?;
            w.get("settings").await?;
            w.select("autolock-minutes", "1").await?;
            w.get("settings-saved").await?;
            w.wait_text("vault-case-count", "1", DEFAULT_WAIT).await?;
            both_languages(w, "17-settings").await?;
            w.click("nav-sync").await?;
            w.get("sync").await?;
            both_languages(w, "18-sync").await
        })
        .await?;

    report
        .step(
            "lock (the page is reloaded, as by every lock), then a wrong passphrase shows the error in the user's language",
            async {
                // A mark in the page's memory: gone after the lock only if the page was reloaded.
                w.script("window.cairnBeforeLock = true; return true;").await?;
                w.click("lock").await?;
                w.get("unlock-screen").await?;
                let kept = w.script("return window.cairnBeforeLock === true;").await?;
                ensure!(kept == serde_json::Value::Bool(false), "the page kept its memory across the lock");
                w.get("locked-user").await?;
                ensure!(!w.present("shell").await, "the app is still shown after locking");
                w.type_into("unlock-passphrase", WRONG_PASSPHRASE).await?;
                w.click("unlock").await?;
                w.wait_text("error", "암호 문구가 틀렸습니다", DEFAULT_WAIT).await?;
                w.screenshot("19-unlock-wrong-passphrase-ko").await?;
                w.click("lang-en").await?;
                w.wait_text("error", "The passphrase is wrong", DEFAULT_WAIT).await?;
                w.screenshot("19-unlock-wrong-passphrase-en").await?;
                w.click("lang-ko").await?;
                ensure!(!w.present("shell").await, "a wrong passphrase opened the app");
                Ok(())
            },
        )
        .await?;

    report
        .step("HQ (the cairn command line) enrolls this device from its request; the roster is imported while the app is locked", async {
            peer.run(&hq, &["init", "--insecure-fast-kdf"])?;
            peer.run(&hq, &["org", "init", "--name", "압록강 지원 Yalu support", "--device-name", HQ_NAME])?;
            let identity = peer.json(&hq, &["device", "fingerprint", "--json"])?;
            org_fingerprint = identity["organisation_fingerprint"].as_str().unwrap_or_default().to_owned();
            hq_fingerprint = identity["fingerprint"].as_str().unwrap_or_default().to_owned();
            ensure!(!org_fingerprint.is_empty() && !hq_fingerprint.is_empty(), "HQ's identity: {identity}");
            // The request as the app showed it (the text of its QR code), and the fingerprint read
            // on the app's screen.
            let request = folder.join("device.request");
            std::fs::write(&request, request_text.split_whitespace().collect::<String>())?;
            let request = request.display().to_string();
            peer.run(&hq, &["org", "enroll", &request, "--role", "field", "--name", DEVICE_NAME, "--expect-fingerprint", &device_fingerprint])?;
            peer.run(&hq, &["case", "new", "--title", PEER_CASE_TITLE])?;
            let roster = folder.join("team.roster").display().to_string();
            peer.run(&hq, &["org", "roster", "--out", &roster])?;
            // The app's Team screen imports a roster through a native file dialog, which
            // WebDriver cannot drive; the command line imports it into the app's vault instead,
            // while the app holds no session (the roster import itself is the same core call).
            let vault = folder.join("vault");
            peer.run_on(&vault, PASSPHRASE, &["roster", "import", &roster, "--expect-fingerprint", &org_fingerprint])?;
            Ok(())
        })
        .await?;

    report
        .step("unlock with the right passphrase", async {
            w.type_into("unlock-passphrase", PASSPHRASE).await?;
            w.click("unlock").await?;
            w.get("shell").await?;
            Ok(())
        })
        .await?;

    report
        .step("sync: connect to HQ waiting on loopback, compare its fingerprint; HQ's case appears", async {
            w.click("nav-team").await?;
            w.wait_text("roster", HQ_NAME, DEFAULT_WAIT).await?;
            let serving = peer.serve_once(&hq)?;
            w.click("nav-sync").await?;
            w.get("sync-no-peers").await?;
            w.type_into("sync-connect-address", &serving.address).await?;
            w.click("sync-connect").await?;
            w.wait_for(&crate::driver::tid("sync-summary"), Duration::from_secs(60)).await?;
            let shown = w.text("sync-peer-fingerprint").await?;
            ensure!(shown == hq_fingerprint, "the app shows {shown:?} for HQ, whose fingerprint is {hq_fingerprint:?}");
            let documents = w.text("sync-documents").await?;
            ensure!(documents.ends_with("/ 1"), "documents sent / received: {documents:?}");
            let (summary, notices) = serving.server.finish()?;
            ensure!(summary.starts_with("Synced: "), "HQ's summary: {summary:?}");
            ensure!(notices.contains(&device_fingerprint), "HQ did not show this device's fingerprint: {notices:?}");
            w.wait_text("sync-peers", HQ_NAME, DEFAULT_WAIT).await?;
            both_languages(w, "19b-sync-summary").await?;
            w.click("nav-cases").await?;
            w.wait_text("case-list", PEER_CASE_TITLE, DEFAULT_WAIT).await?;
            w.wait_text("case-list", CASE_TITLE, DEFAULT_WAIT).await?;
            Ok(())
        })
        .await?;

    report
        .step("USB stick: HQ's bundle imports in the app and its case appears; the app's bundle imports at HQ; the stick holds no plaintext", async {
            let stick = folder.join("stick");
            std::fs::create_dir_all(&stick)?;
            peer.run(&hq, &["case", "new", "--title", STICK_CASE_TITLE])?;
            let written = peer.json(&hq, &["bundle", "export", "--out", &stick.display().to_string(), "--json"])?;
            ensure!(written["bundles"].as_array().is_some_and(|b| b.len() == 1), "HQ wrote {written}");
            w.click("nav-sync").await?;
            w.click("usb-import").await?;
            w.wait_for(&crate::driver::tid("usb-imported"), Duration::from_secs(60)).await?;
            let applied = w.text("usb-applied").await?;
            // HQ knew nothing of this device's state yet, so its bundle carries every document;
            // those the live sync brought already apply as no-ops. None may be missing.
            ensure!(!applied.contains("사례와 증언 0개"), "the app's summary of the import: {applied:?}");
            both_languages(w, "19c-usb-imported").await?;
            w.click("usb-export").await?;
            w.wait_for(&crate::driver::tid("usb-exported-bundle"), Duration::from_secs(60)).await?;
            let exported = w.text("usb-exported").await?;
            ensure!(exported.contains(HQ_NAME), "the app's summary of the export: {exported:?}");
            both_languages(w, "19d-usb-exported").await?;
            let imported = peer.json(&hq, &["bundle", "import", &stick.display().to_string(), "--json"])?;
            ensure!(imported["imported"] == 1 && imported["refused"] == 0, "HQ's import of the stick: {imported}");
            for needle in [CASE_TITLE, STICK_CASE_TITLE, PEER_CASE_TITLE, DEVICE_NAME, HQ_NAME, "cairn", "Cairn"] {
                let (files, hits) = crate::scan::scan_for(std::slice::from_ref(&stick), needle.as_bytes())?;
                ensure!(files >= 2, "only {files} files on the stick");
                ensure!(hits.is_empty(), "{needle:?} in plaintext on the stick: {hits:?}");
            }
            w.click("nav-cases").await?;
            w.wait_text("case-list", STICK_CASE_TITLE, DEFAULT_WAIT).await?;
            Ok(())
        })
        .await?;

    report
        .step("the page hangs; the Rust timer still locks after one idle minute, and the screen is cleared", async {
            // From now on the page's JavaScript is stuck in a loop for 75 s: it can neither
            // report activity nor react to anything. Only the Rust side can lock.
            let idle_since = Instant::now();
            w.client
                .execute(
                    "setTimeout(() => { const end = Date.now() + 75000; while (Date.now() < end) {} }, 50); return true;",
                    vec![],
                )
                .await?;
            tokio::time::sleep(Duration::from_secs(76)).await;
            let notice = w.wait_for("[data-testid=\"locked-idle\"]", Duration::from_secs(90)).await?;
            let waited = idle_since.elapsed();
            let text = notice.text().await?;
            ensure!(text.contains("1분"), "idle notice {text:?}");
            ensure!(!w.present("shell").await, "the app's views are still in the page");
            println!("      (unlock screen shown {:.0} s after the page hung)", waited.as_secs_f64());
            both_languages(w, "20-auto-locked").await
        })
        .await?;

    report
        .step(
            "unlock again: the case, its testimony and the settings are still there; the identity is sealed for HQ",
            async {
                w.type_into("unlock-passphrase", PASSPHRASE).await?;
                w.click("unlock").await?;
                w.get("shell").await?;
                w.wait_text("case-list", CASE_TITLE, DEFAULT_WAIT).await?;
                w.type_into("case-search", "공안에").await?;
                w.click("case-search-submit").await?;
                w.wait_text("search-snippet", "공안에", DEFAULT_WAIT).await?;
                w.click("case-row").await?;
                w.wait_text("case-title", CASE_TITLE, DEFAULT_WAIT).await?;
                // Enrolled in a team, the identity typed before enrollment is sealed for HQ: named,
                // never readable here again, and not in the page.
                w.wait_text("identity-sealed", "본부용으로 봉인됨", DEFAULT_WAIT).await?;
                ensure!(!w.present("reveal-identity").await, "a field device offers to reveal a sealed identity");
                ensure!(!w.page_text().await?.contains(REAL_NAME), "the real name is on screen after enrollment");
                both_languages(w, "21-identity-sealed-for-hq").await?;
                w.click("tab-testimonies").await?;
                let narrative = w.get("narrative").await?.prop("value").await?.unwrap_or_default();
                ensure!(narrative == format!("{NARRATIVE}{NARRATIVE_MORE}"), "the narrative reads {narrative:?}");
                w.click("nav-settings").await?;
                let minutes = w.get("autolock-minutes").await?.prop("value").await?;
                if minutes.as_deref() != Some("1") {
                    bail!("auto-lock shows {minutes:?} minutes after unlock");
                }
                Ok(())
            },
        )
        .await?;

    report
        .step(
            "handover: mark the case ready, sync with HQ (its receipt comes back: received by HQ); HQ's purge policy arrives and the case is purged here, kept at HQ",
            async {
                let hq_state = |title: &str| -> Result<String> {
                    let status = peer.json(&hq, &["handover", "status", "--json"])?;
                    Ok(status["cases"]
                        .as_array()
                        .and_then(|cases| cases.iter().find(|case| case["title"] == title))
                        .and_then(|case| case["state"].as_str())
                        .unwrap_or("absent")
                        .to_owned())
                };
                let sync_with_hq = || async {
                    let serving = peer.serve_once(&hq)?;
                    w.click("nav-sync").await?;
                    w.type_into("sync-connect-address", &serving.address).await?;
                    w.click("sync-connect").await?;
                    w.wait_for(&crate::driver::tid("sync-summary"), Duration::from_secs(60)).await?;
                    let (summary, _) = serving.server.finish()?;
                    ensure!(summary.starts_with("Synced: "), "HQ's summary: {summary:?}");
                    anyhow::Ok(())
                };
                let open_the_case = || async {
                    w.click("nav-cases").await?;
                    w.type_into("case-search", "공안에").await?;
                    w.click("case-search-submit").await?;
                    w.wait_text("search-snippet", "공안에", DEFAULT_WAIT).await?;
                    w.click("case-row").await?;
                    w.wait_text("case-title", CASE_TITLE, DEFAULT_WAIT).await?;
                    anyhow::Ok(())
                };
                open_the_case().await?;
                w.click("handover-ready").await?;
                // The testimony's consent may lack sharing with HQ: the app asks first.
                let either = format!("{}, {}", crate::driver::tid("handover-consent-warning"), crate::driver::tid("handover-unready"));
                w.wait_for(&either, DEFAULT_WAIT).await?;
                if w.present("handover-consent-warning").await {
                    both_languages(w, "22a-handover-consent").await?;
                    w.click("handover-confirm").await?;
                }
                w.get("handover-unready").await?;
                let marked = w.get("handover-state").await?.attr("data-state").await?;
                ensure!(marked.as_deref() == Some("ready"), "the case shows {marked:?} after marking it ready");
                both_languages(w, "22b-handover-ready").await?;

                // The case reaches HQ, which issues its receipt once the session ends.
                sync_with_hq().await?;
                let at_hq = hq_state(CASE_TITLE)?;
                ensure!(at_hq == "received", "HQ's handover state of the case: {at_hq}");
                // The receipt comes back; HQ's policy is still "keep", so the case stays here.
                sync_with_hq().await?;
                open_the_case().await?;
                let shown = w.get("handover-state").await?.attr("data-state").await?;
                ensure!(shown.as_deref() == Some("received"), "the case shows {shown:?} after HQ's receipt arrived");
                both_languages(w, "22c-handover-received").await?;

                // HQ now purges handed-over cases at once; its roster reaches the app with the
                // next sync, and the case is purged: gone from the list, kept at HQ.
                peer.run(&hq, &["handover", "policy", "immediately"])?;
                sync_with_hq().await?;
                w.click("nav-cases").await?;
                w.get("cases-purged").await?;
                w.wait_text("case-list", PEER_CASE_TITLE, DEFAULT_WAIT).await?;
                ensure!(!w.page_text().await?.contains(CASE_TITLE), "the purged case is still listed");
                both_languages(w, "22d-handover-purged").await?;
                let at_hq = peer.json(&hq, &["case", "list", "--json"])?;
                ensure!(
                    at_hq["cases"].as_array().is_some_and(|cases| cases.iter().any(|case| case["title"] == CASE_TITLE)),
                    "HQ no longer lists the case: {at_hq}"
                );
                Ok(())
            },
        )
        .await?;

    report
        .step(
            "Ctrl+Shift+L locks from anywhere in the page; then no file the app wrote (vault, WebKit's data and cache, /tmp) holds the typed title, narrative or real name",
            async {
                // The vault is open, as the app keeps it: its WAL is there to be scanned.
                let vault = folder.join("vault");
                ensure!(vault.join("vault.db-wal").exists(), "no WAL beside the open vault: the scan would prove less");
                w.click("nav-cases").await?;
                // Ctrl and Shift held (WebDriver keeps modifiers down until NULL), then L, typed
                // into the search field: the page-wide shortcut, not a button.
                w.get("case-search").await?.send_keys("\u{E009}\u{E008}l\u{E000}").await?;
                w.wait_for(&crate::driver::tid("unlock-passphrase"), DEFAULT_WAIT).await?;
                ensure!(!w.present("shell").await, "the app is still open after Ctrl+Shift+L");
                let mut roots = vec![folder.to_path_buf(), std::env::temp_dir()];
                if let Some(scratch) = std::env::var_os("CAIRN_E2E_SCRATCH") {
                    roots.push(scratch.into());
                }
                // Only files written since the app started are the app's (/tmp is shared). This
                // test's own checkout and build hold the needles by construction (its source and
                // binaries); they are skipped when they sit under a scanned folder (a clone in
                // /tmp). The app writes nothing there.
                let mut own = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")];
                if let Some(target) = std::env::current_exe()?.parent().and_then(Path::parent) {
                    own.push(target.to_path_buf());
                }
                for needle in [CASE_TITLE, NARRATIVE, REAL_NAME] {
                    let (files, hits) = crate::scan::scan_for_except(&roots, &own, Some(started), needle.as_bytes())?;
                    ensure!(files > 10, "only {files} files were scanned");
                    ensure!(hits.is_empty(), "{needle:?} in plaintext in: {hits:?}");
                }
                Ok(())
            },
        )
        .await?;
    report
        .step(
            "lock from anywhere: Ctrl+Shift+L pressed in another program leaves the app open until it is turned on in Settings, then locks it (the tray item is shown)",
            async {
                w.type_into("unlock-passphrase", PASSPHRASE).await?;
                w.click("unlock").await?;
                w.get("shell").await?;
                w.click("nav-settings").await?;
                w.wait_text("lock-anywhere-state", "꺼짐", DEFAULT_WAIT).await?;
                // The control: the keys go to the program with the focus, not to the page.
                let other = crate::keyboard::OtherProgram::start()?;
                other.press("ctrl+shift+l")?;
                tokio::time::sleep(Duration::from_secs(2)).await;
                ensure!(w.present("shell").await, "the keys pressed in another program reached the page");
                w.click("lock-anywhere-toggle").await?;
                w.wait_text("lock-anywhere-state", "어느 프로그램에서든", DEFAULT_WAIT).await?;
                w.wait_text("lock-anywhere-tray", "트레이 아이콘이 보입니다", DEFAULT_WAIT).await?;
                both_languages(w, "23-lock-anywhere").await?;
                other.press("ctrl+shift+l")?;
                w.wait_for(&crate::driver::tid("unlock-passphrase"), DEFAULT_WAIT).await?;
                ensure!(!w.present("shell").await, "the app is still open after Ctrl+Shift+L in another program");
                Ok(())
            },
        )
        .await?;
    report
        .step(
            "re-key in Settings: the new recovery code is shown and typed back before it runs; afterwards the old passphrase opens nothing, and the new one opens the vault with its cases",
            async {
                w.type_into("unlock-passphrase", PASSPHRASE).await?;
                w.click("unlock").await?;
                w.get("shell").await?;
                w.click("nav-settings").await?;
                w.click("rekey-start").await?;
                let code = w.text("rekey-code").await?;
                ensure!(code.trim().len() == 39, "the re-key's recovery code reads {code:?}");
                w.type_into("rekey-typed", code.trim()).await?;
                w.type_into("rekey-current", PASSPHRASE).await?;
                w.type_into("rekey-new", REKEYED_PASSPHRASE).await?;
                w.type_into("rekey-new-again", REKEYED_PASSPHRASE).await?;
                w.click("rekey-run").await?;
                w.wait_for(&crate::driver::tid("rekey-done"), Duration::from_secs(60)).await?;
                both_languages(w, "23b-rekey-done").await?;
                let vault = folder.join("vault");
                ensure!(!vault.join("vault.rekey").exists(), "the re-key journal is left behind");
                w.click("lock").await?;
                w.type_into("unlock-passphrase", PASSPHRASE).await?;
                w.click("unlock").await?;
                w.wait_text("error", "암호 문구가 틀렸습니다", DEFAULT_WAIT).await?;
                ensure!(!w.present("shell").await, "the passphrase from before the re-key still opens the vault");
                w.type_into("unlock-passphrase", REKEYED_PASSPHRASE).await?;
                w.click("unlock").await?;
                w.get("shell").await?;
                w.wait_text("case-list", PEER_CASE_TITLE, DEFAULT_WAIT).await?;
                w.click("lock").await?;
                w.wait_for(&crate::driver::tid("unlock-passphrase"), DEFAULT_WAIT).await?;
                Ok(())
            },
        )
        .await?;
    report
        .step(
            "duress: set a duress passphrase in Settings, lock, unlock with it: an empty decoy opens as any unlock does, and the real passphrase opens nothing any more",
            async {
                w.type_into("unlock-passphrase", REKEYED_PASSPHRASE).await?;
                w.click("unlock").await?;
                w.get("shell").await?;
                w.wait_text("case-list", PEER_CASE_TITLE, DEFAULT_WAIT).await?;
                w.click("nav-settings").await?;
                w.wait_text("duress-state", "꺼짐", DEFAULT_WAIT).await?;
                w.type_into("duress-current", REKEYED_PASSPHRASE).await?;
                w.type_into("duress-new", DURESS_PASSPHRASE).await?;
                w.type_into("duress-again", DURESS_PASSPHRASE).await?;
                w.click("duress-save").await?;
                w.wait_for(&crate::driver::tid("duress-saved"), Duration::from_secs(30)).await?;
                w.wait_text("duress-state", "켜짐", DEFAULT_WAIT).await?;
                both_languages(w, "24-duress-set").await?;
                w.click("lock").await?;
                w.type_into("unlock-passphrase", DURESS_PASSPHRASE).await?;
                w.click("unlock").await?;
                w.get("shell").await?;
                w.get("no-cases").await?;
                let page = w.page_text().await?;
                ensure!(!page.contains(PEER_CASE_TITLE) && !page.contains(STICK_CASE_TITLE), "the decoy shows the vault's cases");
                w.click("nav-settings").await?;
                w.wait_text("duress-state", "꺼짐", DEFAULT_WAIT).await?;
                both_languages(w, "25-duress-decoy").await?;
                w.click("lock").await?;
                w.type_into("unlock-passphrase", REKEYED_PASSPHRASE).await?;
                w.click("unlock").await?;
                w.wait_text("error", "암호 문구가 틀렸습니다", DEFAULT_WAIT).await?;
                ensure!(!w.present("shell").await, "the real passphrase still opens something after a duress unlock");
                let vault = folder.join("vault");
                let mut files: Vec<String> = std::fs::read_dir(&vault)?
                    .filter_map(|entry| entry.ok().map(|entry| entry.file_name().to_string_lossy().into_owned()))
                    .filter(|name| !name.ends_with("-wal") && !name.ends_with("-shm"))
                    .collect();
                files.sort();
                ensure!(files == ["decoy.db", "vault.db", "vault.keys"], "the vault folder holds {files:?}");
                Ok(())
            },
        )
        .await?;
    report
        .step(
            "panic wipe: turned on in Settings with the word as its confirmation, the Wipe button destroys the vault, and the app is back at its first run",
            async {
                w.type_into("unlock-passphrase", DURESS_PASSPHRASE).await?;
                w.click("unlock").await?;
                w.get("shell").await?;
                ensure!(!w.present("wipe").await, "a Wipe button before the panic wipe was turned on");
                w.click("nav-settings").await?;
                w.select("panic-wipe-gesture", "type_word").await?;
                w.type_into("panic-wipe-passphrase", DURESS_PASSPHRASE).await?;
                w.click("panic-wipe-save").await?;
                w.get("panic-wipe-saved").await?;
                w.click("wipe").await?;
                w.get("wipe-dialog").await?;
                // Readable: the dialog sits in the top bar but must not take its white text.
                let colour = w
                    .script("return getComputedStyle(document.querySelector('[data-testid=\"wipe-dialog\"] h2')).color;")
                    .await?;
                ensure!(colour != serde_json::json!("rgb(255, 255, 255)"), "the wipe dialog's text is white on white");
                // The dialog covers the page, the language switch too.
                w.screenshot("26-panic-wipe-ko").await?;
                w.type_into("wipe-word", "삭제").await?;
                w.click("wipe-confirm").await?;
                w.wait_for(&crate::driver::tid("first-run"), Duration::from_secs(30)).await?;
                ensure!(!folder.join("vault").exists(), "the vault folder is still there after the wipe");
                Ok(())
            },
        )
        .await?;
    Ok(())
}
