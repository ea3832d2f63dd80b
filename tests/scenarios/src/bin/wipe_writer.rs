//! A process for the wipe kill loops: `wipe-writer wipe DIR` runs a panic wipe of the vault
//! in DIR; `wipe-writer unlock DIR` tries one unlock with `CAIRN_PASSPHRASE` (exit 0 when it
//! opened, 3 when the passphrase was wrong). These are test-only vaults.

use cairn_store::{StoreError, Vault};
use secrecy::SecretString;

fn main() -> Result<std::process::ExitCode, Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().ok_or("usage: wipe-writer wipe|unlock DIR")?;
    let dir = std::path::PathBuf::from(args.next().ok_or("missing DIR")?);
    match mode.as_str() {
        "wipe" => {
            cairn_store::wipe(&dir)?;
            Ok(std::process::ExitCode::SUCCESS)
        }
        "unlock" => match Vault::unlock(&dir, &SecretString::from(std::env::var("CAIRN_PASSPHRASE")?)) {
            Ok(vault) => {
                vault.lock();
                Ok(std::process::ExitCode::SUCCESS)
            }
            Err(StoreError::WrongPassphrase) => Ok(std::process::ExitCode::from(3)),
            Err(error) => Err(error.into()),
        },
        _ => Err("unknown mode".into()),
    }
}
