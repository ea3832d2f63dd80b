//! `init`, `status`, `passphrase change`, `recover`.

use cairn_core::{CoreError, KdfChoice, create_vault, recover_vault, unlock_vault};

use crate::{Cli, secrets};

#[allow(clippy::print_stdout, clippy::print_stderr)]
pub(crate) fn init(cli: &Cli, insecure_fast_kdf: bool) -> anyhow::Result<()> {
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
        eprintln!("Calibrating key derivation for this computer (a few seconds)…");
    }
    let (session, recovery) = create_vault(&dir, &passphrase, kdf)?;
    session.lock();
    println!("Vault created.");
    println!();
    println!("Recovery code (shown only this once; write it on paper and keep it apart from this computer):");
    println!();
    println!("    {}", recovery.display_grouped().as_str());
    println!();
    println!("Anyone with this code can open the vault. Without it or the passphrase, nobody can.");
    if insecure_fast_kdf {
        eprintln!("WARNING: this vault uses the insecure test-only key derivation. Never store real data in it.");
    }
    Ok(())
}

#[allow(clippy::print_stdout)]
pub(crate) fn status(cli: &Cli, json: bool, check: bool) -> anyhow::Result<()> {
    let session = unlock_vault(&cli.vault_dir()?, &secrets::passphrase(cli)?)?;
    if check {
        session.check_integrity()?;
    }
    let status = session.status()?;
    session.lock();
    if json {
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
            "integrity_checked": check,
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("Vault format:      {} (schema {})", status.format_version, status.schema_version);
        println!(
            "Key derivation:    Argon2id, {} MiB, {} passes, {} lanes{}",
            status.kdf.memory_kib / 1024,
            status.kdf.iterations,
            status.kdf.parallelism,
            if status.insecure_kdf { "  [INSECURE TEST PROFILE]" } else { "" }
        );
        println!("Vault id:          {}", status.vault_id);
        println!("Device id:         {}", status.device_id);
        println!("Cases:             {}", status.case_count);
        if check {
            println!("Integrity:         ok");
        }
    }
    Ok(())
}

#[allow(clippy::print_stdout)]
pub(crate) fn change_passphrase(cli: &Cli) -> anyhow::Result<()> {
    let mut session = unlock_vault(&cli.vault_dir()?, &secrets::passphrase(cli)?)?;
    let new = secrets::new_passphrase("CAIRN_NEW_PASSPHRASE", "New passphrase")?;
    session.change_passphrase(&new)?;
    session.lock();
    println!("Passphrase changed. The old passphrase no longer opens this vault.");
    Ok(())
}

#[allow(clippy::print_stdout)]
pub(crate) fn recover(cli: &Cli) -> anyhow::Result<()> {
    let dir = cli.vault_dir()?;
    if !cairn_core::vault_exists(&dir) {
        return Err(CoreError::VaultNotFound.into());
    }
    let code = secrets::secret("CAIRN_RECOVERY_CODE", "Recovery code")?;
    let new = secrets::new_passphrase("CAIRN_NEW_PASSPHRASE", "New passphrase")?;
    let session = recover_vault(&dir, &code, &new)?;
    session.lock();
    println!("Vault recovered. Use the new passphrase from now on; the recovery code still works.");
    Ok(())
}
