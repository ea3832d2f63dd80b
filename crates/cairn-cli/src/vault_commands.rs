//! `init`, `status`, `passphrase change`, `recover`, `recovery-code rotate`, `rekey`.

use cairn_core::{CoreError, KdfChoice, RecoveryCode, Session, create_vault, recover_vault, unlock_vault};

use crate::{Cli, exit::Usage, output, secrets};

/// Unlocks the vault for a command, warning on standard error when the vault itself says it
/// was made with the insecure test-only key derivation (whatever flags this run was given),
/// and when the roster it holds expires soon or has expired.
pub(crate) fn open(cli: &Cli) -> anyhow::Result<Session> {
    let mut session = unlock_vault(&cli.vault_dir()?, &secrets::passphrase(cli)?)?;
    if session.status()?.insecure_kdf {
        output::notice(INSECURE_WARNING);
    }
    crate::team_commands::warn_roster_expiry(&mut session)?;
    Ok(session)
}

/// A release build never makes a vault a field worker could mistake for a real one.
fn refuse_insecure_kdf(requested: bool, allowed: bool) -> Result<(), Usage> {
    if requested && !allowed {
        return Err(Usage("--insecure-fast-kdf exists only in debug builds of cairn, for automated tests"));
    }
    Ok(())
}

const INSECURE_WARNING: &str =
    "WARNING: this vault uses the insecure test-only key derivation. Never store real data in it.";

/// `init`: creates the vault and shows its recovery code, once.
pub(crate) fn init(cli: &Cli, insecure_fast_kdf: bool) -> anyhow::Result<()> {
    refuse_insecure_kdf(insecure_fast_kdf, cairn_core::INSECURE_KDF_ALLOWED)?;
    let dir = cli.vault_dir()?;
    if cairn_core::vault_exists(&dir) {
        return Err(CoreError::VaultExists.into());
    }
    let passphrase = match (&cli.passphrase_file, std::env::var_os("CAIRN_PASSPHRASE")) {
        (None, None) => secrets::new_passphrase("CAIRN_PASSPHRASE", "New passphrase")?,
        _ => secrets::passphrase(cli)?,
    };
    let kdf = if insecure_fast_kdf { KdfChoice::InsecureTestOnly } else { KdfChoice::Calibrate };
    if !insecure_fast_kdf {
        output::notice("Calibrating key derivation for this computer (a few seconds)…");
    }
    let (session, recovery) = create_vault(&dir, &passphrase, kdf)?;
    session.lock();
    output::line("Vault created.");
    output::blank_line();
    output::line("Recovery code (shown only this once; write it on paper and keep it apart from this computer):");
    output::blank_line();
    // Printed through `format_args!`, so the code is not copied into another, unzeroized string.
    output::line(format_args!("    {}", recovery.display_grouped().as_str()));
    output::blank_line();
    output::line("Anyone with this code can open the vault. Without it or the passphrase, nobody can.");
    if insecure_fast_kdf {
        output::notice(INSECURE_WARNING);
    }
    Ok(())
}

/// `status`: the vault's format, key derivation, ids and case count; `--check` verifies
/// every database page first.
pub(crate) fn status(cli: &Cli, json: bool, check: bool) -> anyhow::Result<()> {
    let session = open(cli)?;
    if check {
        session.check_integrity()?;
    }
    let status = session.status()?;
    session.lock();
    let value = serde_json::json!({
        "format_version": status.format_version,
        "schema_version": status.schema_version,
        "kdf": {
            "algorithm": "argon2id",
            "memory_kib": status.kdf.memory_kib,
            "iterations": status.kdf.iterations,
            "parallelism": status.kdf.parallelism,
            "insecure_test_profile": status.insecure_kdf,
        },
        "vault_id": status.vault_id,
        "device_id": status.device_id,
        "cases": status.case_count,
        "unlock_limit": status.unlock_limit,
        "duress": status.duress,
        "integrity_checked": check,
    });
    output::result(json, &value, || {
        let mut lines = vec![
            format!("Vault format:      {} (schema {})", status.format_version, status.schema_version),
            format!(
                "Key derivation:    Argon2id, {} MiB, {} passes, {} lanes{}",
                status.kdf.memory_kib / 1024,
                status.kdf.iterations,
                status.kdf.parallelism,
                if status.insecure_kdf { "  [INSECURE TEST PROFILE]" } else { "" }
            ),
            format!("Vault id:          {}", status.vault_id),
            format!("Device id:         {}", status.device_id),
            format!("Cases:             {}", status.case_count),
            match status.unlock_limit {
                Some(limit) => format!("Unlock limit:      wipe after {limit} failed unlocks"),
                None => "Unlock limit:      off".to_owned(),
            },
            format!("Duress passphrase: {}", if status.duress { "set" } else { "off" }),
        ];
        if check {
            lines.push("Integrity:         ok".to_owned());
        }
        lines.join("\n")
    })
}

/// `passphrase change`: replaces the passphrase keyslot.
pub(crate) fn change_passphrase(cli: &Cli) -> anyhow::Result<()> {
    let mut session = open(cli)?;
    let new = secrets::new_passphrase("CAIRN_NEW_PASSPHRASE", "New passphrase")?;
    session.change_passphrase(&new)?;
    session.lock();
    output::line("Passphrase changed. The old passphrase no longer opens this vault.");
    Ok(())
}

/// `recover`: opens the vault with the recovery code and sets a new passphrase.
pub(crate) fn recover(cli: &Cli) -> anyhow::Result<()> {
    let dir = cli.vault_dir()?;
    if !cairn_core::vault_exists(&dir) {
        return Err(CoreError::VaultNotFound.into());
    }
    let code = secrets::secret("CAIRN_RECOVERY_CODE", "Recovery code")?;
    let new = secrets::new_passphrase("CAIRN_NEW_PASSPHRASE", "New passphrase")?;
    let session = recover_vault(&dir, &code, &new)?;
    session.lock();
    output::line("Vault recovered. Use the new passphrase from now on; the recovery code still works.");
    output::line("If the code may have been seen, replace it: cairn recovery-code rotate");
    Ok(())
}

/// `recovery-code rotate`: a new recovery code, shown once; the old one stops working.
pub(crate) fn rotate_recovery_code(cli: &Cli) -> anyhow::Result<()> {
    let mut session = open(cli)?;
    let code = session.rotate_recovery_code()?;
    session.lock();
    output::line("New recovery code (shown only this once; write it on paper and keep it apart from this computer):");
    output::blank_line();
    output::line(format_args!("    {}", code.display_grouped().as_str()));
    output::blank_line();
    output::line("The old recovery code no longer opens this vault (a copy of vault.keys made before still opens with it).");
    Ok(())
}

/// `rekey`: a new master key. The new recovery code is printed before the re-key starts, so
/// the worker holds it whenever it takes effect: a kill once the new header is written leaves
/// the new passphrase and code in force (and the next unlock finishes the database).
pub(crate) fn rekey(cli: &Cli) -> anyhow::Result<()> {
    let mut session = open(cli)?;
    let new = secrets::new_passphrase("CAIRN_NEW_PASSPHRASE", "New passphrase")?;
    let code = RecoveryCode::generate();
    output::line(
        "New recovery code (write it on paper now; it takes effect with the re-key, and the old code then stops working):",
    );
    output::blank_line();
    output::line(format_args!("    {}", code.display_grouped().as_str()));
    output::blank_line();
    output::notice("Re-encrypting the vault (do not close this window)…");
    if let Err(error) = session.rekey(&new, &code) {
        if !matches!(error, CoreError::RekeyUnfinished) {
            output::notice("The vault was not re-keyed: the code above is void; the old passphrase and code still open it.");
        }
        return Err(error.into());
    }
    session.lock();
    output::line("Vault re-keyed. Only the new passphrase and the new recovery code open it.");
    output::line("An old copy of vault.keys, with the old passphrase or code, opens nothing written from now on.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_debug_builds_make_insecure_test_vaults() {
        assert!(refuse_insecure_kdf(true, false).is_err(), "a release build refuses");
        assert!(refuse_insecure_kdf(true, true).is_ok());
        assert!(refuse_insecure_kdf(false, false).is_ok());
        assert_eq!(cairn_core::INSECURE_KDF_ALLOWED, cfg!(debug_assertions));
    }
}
