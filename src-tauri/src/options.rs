//! Command-line options of the desktop binary.
//!
//! Unknown arguments are ignored: WebKitWebDriver may add its own when it launches the app.

use std::{ffi::OsString, path::PathBuf};

/// Where the vault and the settings live, and test-only switches.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// The vault folder (`--vault DIR`, else `CAIRN_VAULT`, else the per-user data folder,
    /// the same default as the `cairn` command).
    pub(crate) vault_dir: PathBuf,
    /// The file holding the non-sensitive settings (language, auto-lock minutes).
    pub(crate) settings_file: PathBuf,
    /// New vaults get the insecure test-only key derivation (`--insecure-fast-kdf-for-tests`).
    /// For automated tests only; the app shows a warning whenever the open vault uses it.
    pub(crate) insecure_fast_kdf: bool,
    /// Folder pickers answer this folder instead of opening a dialog
    /// (`--pick-folder-for-tests DIR`, debug builds only): WebDriver cannot drive a native
    /// dialog, and the end-to-end test exercises everything after the choice.
    pub(crate) folder_for_tests: Option<PathBuf>,
}

impl Options {
    /// Parses `args` (without the program name).
    pub(crate) fn parse(
        args: impl IntoIterator<Item = OsString>,
        env_vault: Option<OsString>,
    ) -> Result<Self, &'static str> {
        let mut vault: Option<PathBuf> = env_vault.filter(|v| !v.is_empty()).map(PathBuf::from);
        let mut config_dir: Option<PathBuf> = None;
        let mut insecure_fast_kdf = false;
        let mut folder_for_tests = None;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let text = arg.to_string_lossy().into_owned();
            match text.as_str() {
                "--vault" => vault = Some(args.next().ok_or("--vault needs a folder")?.into()),
                "--config-dir" => config_dir = Some(args.next().ok_or("--config-dir needs a folder")?.into()),
                "--insecure-fast-kdf-for-tests" if cairn_core::INSECURE_KDF_ALLOWED => insecure_fast_kdf = true,
                "--insecure-fast-kdf-for-tests" => {
                    return Err("--insecure-fast-kdf-for-tests exists only in debug builds, for automated tests");
                }
                "--pick-folder-for-tests" if cfg!(debug_assertions) => {
                    folder_for_tests = Some(args.next().ok_or("--pick-folder-for-tests needs a folder")?.into());
                }
                "--pick-folder-for-tests" => {
                    return Err("--pick-folder-for-tests exists only in debug builds, for automated tests");
                }
                _ => {
                    if let Some(value) = text.strip_prefix("--vault=") {
                        vault = Some(value.into());
                    } else if let Some(value) = text.strip_prefix("--config-dir=") {
                        config_dir = Some(value.into());
                    }
                }
            }
        }
        let project = directories::ProjectDirs::from("org", "Cairn", "Cairn");
        let vault_dir = match vault {
            Some(dir) => dir,
            None => project.as_ref().ok_or("no home folder: pass --vault DIR")?.data_dir().join("vault"),
        };
        let config_dir = match config_dir {
            Some(dir) => dir,
            None => project.as_ref().ok_or("no home folder: pass --config-dir DIR")?.config_dir().to_owned(),
        };
        Ok(Options {
            vault_dir,
            settings_file: config_dir.join("desktop-settings.json"),
            insecure_fast_kdf,
            folder_for_tests,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Options {
        Options::parse(args.iter().map(OsString::from), None).expect("parse")
    }

    #[test]
    fn explicit_folders_win_and_unknown_arguments_are_ignored() {
        let options = parse(&[
            "--automation",
            "--vault",
            "/tmp/v",
            "--config-dir=/tmp/c",
            "--insecure-fast-kdf-for-tests",
            "--pick-folder-for-tests",
            "/tmp/stick",
        ]);
        assert_eq!(options.vault_dir, PathBuf::from("/tmp/v"));
        assert_eq!(options.folder_for_tests, Some(PathBuf::from("/tmp/stick")));
        assert_eq!(options.settings_file, PathBuf::from("/tmp/c/desktop-settings.json"));
        assert!(options.insecure_fast_kdf);
    }

    #[test]
    fn the_environment_names_the_vault_and_real_kdf_is_the_default() {
        let options = Options::parse(Vec::<OsString>::new(), Some("/tmp/env-vault".into())).expect("parse");
        assert_eq!(options.vault_dir, PathBuf::from("/tmp/env-vault"));
        assert!(!options.insecure_fast_kdf);
        assert!(Options::parse([OsString::from("--vault")], None).is_err());
    }
}
