//! A process for the kill -9 crash tests: it performs durable operations in a loop and
//! prints `ACK n` after each one is committed, until it is killed.
//!
//! Usage: `crash-writer records DIR` (appends records) or `crash-writer passphrase DIR`
//! (alternates the passphrase between two values). The passphrase comes from
//! `CAIRN_PASSPHRASE`; these are test-only vaults.

use std::io::Write;

use cairn_scenarios::{PASSPHRASE_A, PASSPHRASE_B, record_text};
use cairn_store::Vault;
use secrecy::SecretString;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().ok_or("usage: crash-writer records|passphrase DIR")?;
    let dir = std::path::PathBuf::from(args.next().ok_or("missing DIR")?);
    let current = std::env::var("CAIRN_PASSPHRASE")?;
    let mut vault = Vault::unlock(&dir, &SecretString::from(current.clone()))?;
    let mut stdout = std::io::stdout().lock();
    match mode.as_str() {
        "records" => {
            let case_id = cairn_scenarios::CRASH_CASE_ID;
            let doc_id = cairn_scenarios::CRASH_DOC_ID;
            // Continue the numbering where the previous (killed) writer stopped.
            let start = vault.read(|tx| match tx.case_key(&case_id) {
                Ok(_) => Ok(tx.records(&case_id, &doc_id)?.len() as u64),
                Err(_) => Ok(0),
            })?;
            for n in start.. {
                vault.transaction(|tx| {
                    if n == 0 {
                        tx.create_case_key(&case_id)?;
                    }
                    tx.append_record(&case_id, &doc_id, record_text(n).as_bytes())
                })?;
                writeln!(stdout, "ACK {n}")?;
                stdout.flush()?;
            }
        }
        "passphrase" => {
            let mut next = if current == PASSPHRASE_A { PASSPHRASE_B } else { PASSPHRASE_A };
            for n in 0u64.. {
                vault.change_passphrase(&SecretString::from(next))?;
                writeln!(stdout, "ACK {n} {next}")?;
                stdout.flush()?;
                next = if next == PASSPHRASE_A { PASSPHRASE_B } else { PASSPHRASE_A };
            }
        }
        _ => return Err("unknown mode".into()),
    }
    Ok(())
}
