//! Team commands: device identity, organisation, enrollment, roster, revocation.
//!
//! Fingerprints are never confirmed by pressing "yes": on enrollment and on a first roster
//! import the person types (or passes with `--expect-fingerprint`) the fingerprint they read
//! on the *other* screen, and this command does not print the one it expects beforehand.

use std::{
    io::IsTerminal,
    num::NonZeroU16,
    path::{Path, PathBuf},
    str::FromStr,
};

use anyhow::Context;
use cairn_core::{
    CoreError, Session, files,
    team::{self, Role, RosterExpiry, RosterView, Standing, TeamError},
};
use clap::{Subcommand, ValueEnum};

use crate::{Cli, exit::Usage, output};

/// Team commands (flattened into the top level).
#[derive(Debug, Subcommand)]
pub(crate) enum TeamCommand {
    /// This device's identity and enrollment request.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// The organisation (on the HQ vault): create it, enroll and revoke devices, export the roster.
    Org {
        /// The organisation's root key file, when the root key is kept offline (`org root
        /// export`, `org init --root-out`): opened for this command, its passphrase from
        /// CAIRN_ROOT_PASSPHRASE or typed. Needed by every command that issues a roster.
        #[arg(long, global = true, value_name = "FILE")]
        root_file: Option<PathBuf>,
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// The team roster held by this device: import a newer one, show it.
    Roster {
        #[command(subcommand)]
        command: RosterCommand,
    },
}

/// `device …`: this device's side of enrollment.
#[derive(Debug, Subcommand)]
pub(crate) enum DeviceCommand {
    /// Show this device's id and fingerprint (and the pinned organisation's fingerprint).
    Fingerprint {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Write an enrollment request for HQ to FILE, and print it as text for a QR code.
    Request {
        /// Where to write the request.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// A name to suggest to HQ (HQ chooses the name on the roster). Prefer a neutral
        /// label over a person's name.
        #[arg(long, value_name = "NAME", default_value = "")]
        name: String,
    },
}

/// `org …`: the HQ side: the organisation, enrollment, revocation.
#[derive(Debug, Subcommand)]
pub(crate) enum OrgCommand {
    /// Make this vault the HQ of a new organisation (root key, intake key, roster version 1).
    Init {
        /// The organisation's name (sealed inside rosters; only team members can read it).
        #[arg(long, value_name = "NAME")]
        name: String,
        /// This HQ device's name on the roster.
        #[arg(long, value_name = "NAME", default_value = "HQ")]
        device_name: String,
        /// Keep the root key out of this vault from the start: write it to this new root key
        /// file (passphrase from CAIRN_NEW_ROOT_PASSPHRASE or typed twice) and issue rosters
        /// with --root-file.
        #[arg(long, value_name = "FILE")]
        root_out: Option<PathBuf>,
    },
    /// Enroll the device whose request is in FILE (binary, or the CAIRN-ENROLL1: text).
    /// You confirm the fingerprint shown on that device's screen, by typing it or with
    /// --expect-fingerprint.
    Enroll {
        /// The enrollment request file.
        file: PathBuf,
        /// The device's role.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The device's name on the roster (prefer a neutral label over a person's name).
        #[arg(long, value_name = "NAME")]
        name: String,
        /// The fingerprint read on the device's screen (`cairn device fingerprint` there).
        #[arg(long, value_name = "FINGERPRINT")]
        expect_fingerprint: Option<String>,
    },
    /// Write the current signed roster to FILE, to carry to every device. With --valid-days
    /// or --renew, first issue the next roster (same members) valid from now.
    Roster {
        /// Where to write the roster.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Make this roster and every later one valid for N days (1–65535) from its issue (see
        /// `org validity`).
        #[arg(long, value_name = "N", conflicts_with = "renew")]
        valid_days: Option<NonZeroU16>,
        /// Issue a renewed roster (same members, a fresh validity period) before writing it.
        #[arg(long)]
        renew: bool,
    },
    /// How long each roster HQ issues is valid: N days (1–65535) from its issue, or `off` (no
    /// end). Issues the next roster so at once; without a value, shows the setting. A device
    /// warns in the last 7 days; once its roster has expired it syncs cases only with HQ
    /// devices until a newer roster arrives.
    Validity {
        /// N days, or `off`.
        #[arg(value_name = "N|off")]
        days: Option<ValidityArg>,
    },
    /// Revoke a device (32 hex digits, see `roster show`): the new roster rotates the team
    /// key to a new epoch sealed to the remaining devices only.
    Revoke {
        /// The device id.
        device_id: String,
    },
    /// The organisation's root key: where it is, keeping it offline, the next root key
    /// (pre-rotation) and root rotation.
    Root {
        #[command(subcommand)]
        command: crate::root_commands::RootCommand,
    },
    /// Set which roles, besides HQ, may read sealed identity fields (real names, home towns,
    /// contacts). None given: HQ only. Affects identity values written after the new roster
    /// reaches a device; values written before keep the readers they were sealed to.
    IdentityReaders {
        /// The roles (e.g. `coordinator`).
        #[arg(value_enum)]
        roles: Vec<RoleArg>,
    },
}

/// `roster …`: the roster a device holds.
#[derive(Debug, Subcommand)]
pub(crate) enum RosterCommand {
    /// Import a roster from FILE. The first import pins the organisation: confirm the
    /// organisation fingerprint shown at HQ by typing it or with --expect-fingerprint.
    Import {
        /// The roster file.
        file: PathBuf,
        /// The organisation fingerprint as shown at HQ.
        #[arg(long, value_name = "FINGERPRINT")]
        expect_fingerprint: Option<String>,
    },
    /// Show the roster this device holds.
    Show {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

/// A roster validity as typed: a number of days, or `off`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ValidityArg(Option<NonZeroU16>);

impl FromStr for ValidityArg {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "off" {
            return Ok(ValidityArg(None));
        }
        text.parse::<NonZeroU16>()
            .map(|days| ValidityArg(Some(days)))
            .map_err(|_| "a number of days from 1 to 65535, or off")
    }
}

/// A device role, as typed.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum RoleArg {
    /// A field worker's device.
    Field,
    /// A coordinator's device.
    Coordinator,
    /// An HQ device.
    Hq,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Role {
        match role {
            RoleArg::Field => Role::Field,
            RoleArg::Coordinator => Role::Coordinator,
            RoleArg::Hq => Role::Hq,
        }
    }
}

/// Runs one team command.
pub(crate) fn run(cli: &Cli, command: &TeamCommand) -> anyhow::Result<()> {
    match command {
        TeamCommand::Device { command: DeviceCommand::Fingerprint { json } } => device_fingerprint(cli, *json),
        TeamCommand::Device { command: DeviceCommand::Request { out, name } } => device_request(cli, out, name),
        TeamCommand::Org { root_file, command } => run_org(cli, root_file.as_deref(), command),
        TeamCommand::Roster { command: RosterCommand::Import { file, expect_fingerprint } } => {
            roster_import(cli, file, expect_fingerprint.as_deref())
        }
        TeamCommand::Roster { command: RosterCommand::Show { json } } => roster_show(cli, *json),
    }
}

/// Runs one `org` command; `root_file` is the root key file given with `--root-file`.
fn run_org(cli: &Cli, root_file: Option<&Path>, command: &OrgCommand) -> anyhow::Result<()> {
    match command {
        OrgCommand::Init { name, device_name, root_out: None } => org_init(cli, name, device_name),
        OrgCommand::Init { name, device_name, root_out: Some(out) } => {
            crate::root_commands::init_with_root_file(cli, out, name, device_name)
        }
        OrgCommand::Enroll { file, role, name, expect_fingerprint } => {
            org_enroll(cli, root_file, file, (*role).into(), name, expect_fingerprint.as_deref())
        }
        OrgCommand::Roster { out, valid_days, renew } => org_roster(cli, root_file, out, *valid_days, *renew),
        OrgCommand::Validity { days } => org_validity(cli, root_file, *days),
        OrgCommand::Revoke { device_id } => org_revoke(cli, root_file, device_id),
        OrgCommand::IdentityReaders { roles } => {
            org_identity_readers(cli, root_file, &roles.iter().map(|role| (*role).into()).collect::<Vec<Role>>())
        }
        OrgCommand::Root { command } => crate::root_commands::run(cli, root_file, command),
    }
}

/// Unlocks the vault for one command.
fn open(cli: &Cli) -> anyhow::Result<Session> {
    crate::vault_commands::open(cli)
}

/// Reads at most `limit` bytes of `path`; a larger file is refused before it is read whole.
fn read_limited(path: &Path, limit: usize, what: &'static str) -> anyhow::Result<Vec<u8>> {
    files::read_limited(path, limit).map_err(|error| match error {
        files::LimitedReadError::TooLarge => CoreError::Team(TeamError::TooLarge { what }).into(),
        files::LimitedReadError::Io(error) => anyhow::Error::new(error).context(format!("could not read the {what} file")),
    })
}

/// Writes a file the person carries to another device, atomically (a pulled stick holds the
/// old file or the new, never half of one); the error names only what failed.
fn write_file(path: &Path, bytes: &[u8], what: &'static str) -> anyhow::Result<()> {
    files::write_atomically(path, bytes).with_context(|| format!("could not write the {what} file"))
}

/// The fingerprint the person confirms: `--expect-fingerprint`, or typed at a terminal.
fn confirmed_fingerprint(given: Option<&str>, prompt: &str, without_terminal: &'static str) -> anyhow::Result<String> {
    if let Some(given) = given {
        return Ok(given.to_owned());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Usage(without_terminal).into());
    }
    output::prompt(prompt);
    let mut typed = String::new();
    std::io::stdin().read_line(&mut typed).context("could not read from the terminal")?;
    Ok(typed.trim().to_owned())
}

/// `device fingerprint`: this device's id and fingerprint, and the pinned organisation's.
fn device_fingerprint(cli: &Cli, json: bool) -> anyhow::Result<()> {
    let mut session = open(cli)?;
    let identity = session.device_identity()?;
    session.lock();
    let value = serde_json::json!({
        "device_id": identity.device_id,
        "fingerprint": identity.fingerprint,
        "organisation_fingerprint": identity.organisation_fingerprint,
    });
    output::result(json, &value, || {
        let mut lines = vec![
            format!("Device id:                 {}", identity.device_id),
            format!("Device fingerprint:        {}", identity.fingerprint),
        ];
        if let Some(organisation) = &identity.organisation_fingerprint {
            lines.push(format!("Organisation fingerprint:  {organisation}"));
        }
        lines.join("\n")
    })
}

/// `device request`: writes the enrollment request and prints it as QR text.
fn device_request(cli: &Cli, out: &Path, name: &str) -> anyhow::Result<()> {
    let mut session = open(cli)?;
    let request = session.enrollment_request(name)?;
    session.lock();
    write_file(out, &request.bytes, "enrollment request")?;
    output::line("Enrollment request written.");
    output::line(format_args!("Device id:           {}", request.device_id));
    output::line(format_args!("Device fingerprint:  {}", request.fingerprint));
    output::blank_line();
    output::line("At HQ, the person enrolling this device must read this fingerprint on this screen.");
    output::line("The same request as text (for a QR code):");
    output::blank_line();
    output::line(&request.text);
    Ok(())
}

/// `org init`: makes this vault the HQ of a new organisation.
fn org_init(cli: &Cli, name: &str, device_name: &str) -> anyhow::Result<()> {
    let mut session = open(cli)?;
    let created = session.create_organisation(name, device_name)?;
    session.lock();
    output::line(format_args!("Organisation created; this vault is its HQ (roster version {}).", created.roster_version));
    output::line(format_args!("Organisation id:           {}", created.org_id));
    output::line(format_args!("Organisation fingerprint:  {}", created.fingerprint));
    output::blank_line();
    output::line("Every device confirms this fingerprint, in person, when it imports its first roster.");
    Ok(())
}

/// `org enroll`: enrolls a device once its fingerprint is confirmed.
fn org_enroll(
    cli: &Cli,
    root_file: Option<&Path>,
    file: &Path,
    role: Role,
    name: &str,
    expect: Option<&str>,
) -> anyhow::Result<()> {
    let contents = read_limited(file, team::MAX_REQUEST_FILE_LEN, "enrollment request")?;
    // Verify the request (self-signature) before asking anyone to compare anything.
    let preview = team::read_enrollment_request(&contents)?;
    if expect.is_none() {
        output::notice(format_args!("Enrollment request from device {}.", preview.device_id));
    }
    let confirmed = confirmed_fingerprint(
        expect,
        "Type the fingerprint shown on the device's screen (`cairn device fingerprint`): ",
        "confirm the device fingerprint: pass --expect-fingerprint, or run in a terminal",
    )?;
    let mut session = crate::root_commands::open_hq(cli, root_file)?;
    let issued = session.enroll_device(&contents, role, name, &confirmed)?;
    session.lock();
    output::line(format_args!("Device {} enrolled as {role}.", issued.device_id));
    output::line(format_args!("Roster version {} (team key epoch {}).", issued.roster_version, issued.epoch));
    output::line("Carry the new roster to the devices: cairn org roster --out FILE");
    Ok(())
}

/// `org roster`: writes the current signed roster, after issuing a renewed one if asked.
fn org_roster(
    cli: &Cli,
    root_file: Option<&Path>,
    out: &Path,
    valid_days: Option<NonZeroU16>,
    renew: bool,
) -> anyhow::Result<()> {
    let mut session = crate::root_commands::open_hq(cli, root_file)?;
    let issued = match (valid_days, renew) {
        (Some(days), _) => Some(session.set_roster_validity(Some(days))?),
        (None, true) => Some(session.reissue_roster()?),
        (None, false) => None,
    };
    let bytes = session.roster_bytes()?;
    let until = session.roster()?.and_then(|view| view.valid_until_ms);
    session.lock();
    write_file(out, &bytes, "roster")?;
    if let Some(issued) = issued {
        output::line(format_args!("Roster version {} issued.", issued.roster_version));
    }
    output::line(format_args!("Roster written ({} bytes).", bytes.len()));
    match until {
        Some(until) => output::line(format_args!("Valid until {}.", utc(until))),
        None => output::line("Valid without an end."),
    }
    Ok(())
}

/// `org validity`: shows or sets how long each roster HQ issues is valid.
fn org_validity(cli: &Cli, root_file: Option<&Path>, days: Option<ValidityArg>) -> anyhow::Result<()> {
    let mut session = crate::root_commands::open_hq(cli, root_file)?;
    let Some(ValidityArg(days)) = days else {
        let days = session.roster_validity_days()?;
        session.lock();
        match days {
            Some(days) => output::line(format_args!("Each roster HQ issues is valid for {days} days from its issue.")),
            None => output::line("Rosters HQ issues are valid without an end."),
        }
        return Ok(());
    };
    let issued = session.set_roster_validity(days)?;
    let until = session.roster()?.and_then(|view| view.valid_until_ms);
    session.lock();
    match (days, until) {
        (Some(days), Some(until)) => {
            output::line(format_args!(
                "Each roster HQ issues is now valid for {days} days from its issue; roster version {} is valid until {}.",
                issued.roster_version,
                utc(until)
            ));
            output::line("Devices warn in the last 7 days; once its roster has expired, a device syncs cases only with");
            output::line("HQ devices until a newer roster arrives (renew with `cairn org roster --renew --out FILE`).");
        }
        _ => output::line(format_args!(
            "Rosters HQ issues are now valid without an end (roster version {}).",
            issued.roster_version
        )),
    }
    output::line("Carry the new roster to every device: cairn org roster --out FILE");
    Ok(())
}

/// A time (ms since the Unix epoch) as a UTC date and time, `2025-03-01 14:05 UTC`.
pub(crate) fn utc(ms: u64) -> String {
    let minutes = ms / 60_000;
    let (days, minute_of_day) = (minutes / (24 * 60), minutes % (24 * 60));
    let (year, month, day) = cairn_core::civil_from_days(i64::try_from(days).unwrap_or(i64::MAX));
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", minute_of_day / 60, minute_of_day % 60)
}

/// Warns on standard error when the roster this device holds expires within the warning
/// window or has expired: every command that opens the vault does.
pub(crate) fn warn_roster_expiry(session: &mut Session) -> anyhow::Result<()> {
    let now = u64::try_from(cairn_core::cases::now_ms()).unwrap_or(0);
    let expiry = session.roster_expiry(now)?;
    if expiry == RosterExpiry::Valid {
        return Ok(());
    }
    let hq = session.roster()?.is_some_and(|view| view.is_hq_vault);
    if let Some(warning) = expiry_warning(expiry, hq, now) {
        output::notice(warning);
    }
    Ok(())
}

/// The warning for a roster's standing at `now` (`None` while it is valid).
fn expiry_warning(expiry: RosterExpiry, hq: bool, now: u64) -> Option<String> {
    let renew = "renew it with `cairn org roster --renew --out FILE` and carry it to every device";
    Some(match (expiry, hq) {
        (RosterExpiry::Valid, _) => return None,
        (RosterExpiry::ExpiresSoon { at }, false) => format!(
            "warning: this device's roster expires {} ({}): sync with HQ or import a newer roster before then [roster_expires_soon]",
            utc(at),
            time_left(at.saturating_sub(now))
        ),
        (RosterExpiry::Expired { at }, false) => format!(
            "warning: this device's roster expired {}: until a newer roster arrives it syncs cases only with HQ devices (a sync with a team member still brings one) [roster_expired]",
            utc(at)
        ),
        (RosterExpiry::ExpiresSoon { at }, true) => {
            format!(
                "warning: the roster this HQ issued expires {} ({}): {renew} [roster_expires_soon]",
                utc(at),
                time_left(at.saturating_sub(now))
            )
        }
        (RosterExpiry::Expired { at }, true) => format!(
            "warning: the roster this HQ issued expired {}: devices holding it sync cases only with HQ; {renew} [roster_expired]",
            utc(at)
        ),
    })
}

/// A duration before an expiry, in whole days (rounded down) or "less than a day".
fn time_left(ms: u64) -> String {
    match ms / team::Validity::DAY_MS {
        0 => "in less than a day".to_owned(),
        1 => "in 1 day".to_owned(),
        days => format!("in {days} days"),
    }
}

/// `org revoke`: revokes a device and rotates the team key.
fn org_revoke(cli: &Cli, root_file: Option<&Path>, device_id: &str) -> anyhow::Result<()> {
    let mut session = crate::root_commands::open_hq(cli, root_file)?;
    let issued = session.revoke_device(device_id)?;
    session.lock();
    output::line(format_args!("Device {} revoked.", issued.device_id));
    output::line(format_args!(
        "Roster version {}: the team key rotated to epoch {}, sealed to the remaining devices only.",
        issued.roster_version, issued.epoch
    ));
    output::line("Carry the new roster to every remaining device: cairn org roster --out FILE");
    Ok(())
}

/// `org identity-readers`: who, besides HQ, may read identity fields written from now on.
fn org_identity_readers(cli: &Cli, root_file: Option<&Path>, roles: &[Role]) -> anyhow::Result<()> {
    let mut session = crate::root_commands::open_hq(cli, root_file)?;
    let issued = session.set_identity_readers(roles)?;
    session.lock();
    let readers: Vec<String> = roles.iter().map(ToString::to_string).chain(["hq".to_owned()]).collect();
    output::line(format_args!("Identity readers: {} (roster version {}).", readers.join(", "), issued.roster_version));
    output::line("Identity fields written after a device has this roster are sealed to these roles' devices too;");
    output::line("earlier ones stay sealed to whoever could read them then.");
    output::line("Carry the new roster to every device: cairn org roster --out FILE");
    Ok(())
}

/// `roster import`: accepts a newer roster (the first one after a fingerprint check).
fn roster_import(cli: &Cli, file: &Path, expect: Option<&str>) -> anyhow::Result<()> {
    let bytes = read_limited(file, team::MAX_ROSTER_FILE_LEN, "roster")?;
    let mut session = open(cli)?;
    let pinned = session.device_identity()?.organisation_fingerprint.is_some();
    let confirmed = match (pinned, expect) {
        (true, expect) => expect.map(str::to_owned),
        (false, expect) => Some(confirmed_fingerprint(
            expect,
            "First roster: type the organisation fingerprint shown at HQ: ",
            "the first roster import needs the organisation fingerprint: pass --expect-fingerprint, or run in a terminal",
        )?),
    };
    let imported = session.import_roster(&bytes, confirmed.as_deref())?;
    session.lock();
    output::line(format_args!("Roster version {} imported (team key epoch {}).", imported.roster_version, imported.epoch));
    if imported.first_pin {
        output::line(format_args!("Organisation pinned: {}", imported.organisation_fingerprint));
    } else if imported.rotated_root {
        output::line(format_args!(
            "HQ's root key was rotated to the key it committed to; the organisation fingerprint is now {}",
            imported.organisation_fingerprint
        ));
    }
    match imported.standing {
        Standing::Member(role) => output::line(format_args!("This device is a member, role {role}.")),
        Standing::Revoked { at } => output::line(format_args!("This device was REVOKED by roster version {at}.")),
    }
    Ok(())
}

/// This device's standing in the JSON of `roster show`.
fn standing_json(standing: Standing) -> serde_json::Value {
    match standing {
        Standing::Member(role) => serde_json::json!({ "status": "member", "role": role.as_str(), "revoked_at": null }),
        Standing::Revoked { at } => serde_json::json!({ "status": "revoked", "role": null, "revoked_at": at }),
    }
}

/// `roster show`: the roster this device holds, as text or JSON.
fn roster_show(cli: &Cli, json: bool) -> anyhow::Result<()> {
    let mut session = open(cli)?;
    let view = session.roster()?.ok_or(CoreError::Team(TeamError::NoRoster))?;
    let expiry = session.roster_expiry(u64::try_from(cairn_core::cases::now_ms()).unwrap_or(0))?;
    session.lock();
    output::result(json, &roster_json(&view, expiry), || roster_text(&view, expiry))
}

/// The validity line of `roster show`.
fn validity_text(view: &RosterView, expiry: RosterExpiry) -> String {
    let Some(until) = view.valid_until_ms else { return "without an end".to_owned() };
    let standing = match expiry {
        RosterExpiry::Valid => "",
        RosterExpiry::ExpiresSoon { .. } => "  EXPIRES SOON",
        RosterExpiry::Expired { .. } => "  EXPIRED: cases sync only with HQ devices until a newer roster arrives",
    };
    let from = view.valid_from_ms.map(|from| format!("from {} ", utc(from))).unwrap_or_default();
    format!("{from}until {}{standing}", utc(until))
}

/// The roster as the table `roster show` prints: one line per member and per revocation.
fn roster_text(view: &RosterView, expiry: RosterExpiry) -> String {
    let sealed = "(sealed)";
    let mut lines = vec![format!(
        "Organisation:  {}  fingerprint {}",
        view.organisation_name.as_deref().unwrap_or(sealed),
        view.organisation_fingerprint
    )];
    let held: Vec<String> = view.held_epochs.iter().map(u32::to_string).collect();
    lines.push(format!(
        "Roster:        version {}, team key epoch {} (held: {})",
        view.version,
        view.epoch,
        held.join(", ")
    ));
    let standing = match view.standing {
        Standing::Member(role) => format!("member, role {role}"),
        Standing::Revoked { at } => format!("REVOKED by roster version {at}"),
    };
    lines.push(format!(
        "This device:   {}  {standing}{}",
        view.this_device,
        if view.is_hq_vault { "  (HQ vault)" } else { "" }
    ));
    let readers: Vec<&str> = view.identity_readers.iter().map(|role| role.as_str()).collect();
    lines.push(format!("Identity:      sealed for {}", readers.join(", ")));
    lines.push(format!("Valid:         {}", validity_text(view, expiry)));
    lines.push(String::new());
    lines.push(format!("Members ({}):", view.members.len()));
    for member in &view.members {
        let marker = if member.device_id == view.this_device { "*" } else { " " };
        lines.push(format!(
            "{marker} {}  {:<11}  {:<24}  {}",
            member.device_id,
            member.role.as_str(),
            member.name.as_deref().unwrap_or(sealed),
            member.fingerprint
        ));
    }
    if !view.revoked.is_empty() {
        lines.push(String::new());
        lines.push(format!("Revoked ({}):", view.revoked.len()));
        for revoked in &view.revoked {
            lines.push(format!(
                "  {}  at v{:<8}  {:<24}  {}",
                revoked.device_id,
                revoked.revoked_at,
                revoked.name.as_deref().unwrap_or(sealed),
                revoked.fingerprint
            ));
        }
    }
    lines.join("\n")
}

/// The JSON of `roster show`.
fn roster_json(view: &RosterView, expiry: RosterExpiry) -> serde_json::Value {
    let expires_at = match expiry {
        RosterExpiry::ExpiresSoon { at } | RosterExpiry::Expired { at } => Some(at),
        RosterExpiry::Valid => None,
    };
    serde_json::json!({
        "organisation": {
            "id": view.org_id,
            "name": view.organisation_name,
            "fingerprint": view.organisation_fingerprint,
        },
        "version": view.version,
        "epoch": view.epoch,
        "held_epochs": view.held_epochs,
        "hq_vault": view.is_hq_vault,
        "identity_readers": view.identity_readers.iter().map(|role| role.as_str()).collect::<Vec<_>>(),
        "valid_from": view.valid_from_ms,
        "valid_until": view.valid_until_ms,
        "expiry": { "status": expiry.code(), "at": expires_at },
        "this_device": { "id": view.this_device, "standing": standing_json(view.standing) },
        "members": view.members.iter().map(|m| serde_json::json!({
            "device_id": m.device_id,
            "name": m.name,
            "role": m.role.as_str(),
            "fingerprint": m.fingerprint,
        })).collect::<Vec<_>>(),
        "revoked": view.revoked.iter().map(|r| serde_json::json!({
            "device_id": r.device_id,
            "name": r.name,
            "revoked_at": r.revoked_at,
            "fingerprint": r.fingerprint,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_as_utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_735_689_599_999), "2024-12-31 23:59 UTC");
        assert_eq!(utc(1_735_689_600_000 + 13 * 3_600_000 + 5 * 60_000), "2025-01-01 13:05 UTC");
    }

    #[test]
    fn expiry_warnings_name_the_state_and_its_code() {
        let day = team::Validity::DAY_MS;
        let now = 1_735_689_600_000;
        assert_eq!(expiry_warning(RosterExpiry::Valid, false, now), None);
        let soon = expiry_warning(RosterExpiry::ExpiresSoon { at: now + 3 * day }, false, now).expect("warning");
        assert!(soon.contains("2025-01-04 00:00 UTC (in 3 days)") && soon.ends_with("[roster_expires_soon]"), "{soon}");
        let expired = expiry_warning(RosterExpiry::Expired { at: now - day }, false, now).expect("warning");
        assert!(expired.contains("only with HQ devices") && expired.ends_with("[roster_expired]"), "{expired}");
        let hq = expiry_warning(RosterExpiry::Expired { at: now - day }, true, now).expect("warning");
        assert!(hq.contains("--renew") && hq.ends_with("[roster_expired]"), "{hq}");
        assert_eq!(time_left(day - 1), "in less than a day");
        assert_eq!(time_left(day), "in 1 day");
    }
}
