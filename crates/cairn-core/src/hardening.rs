//! Process hardening every front end applies before it touches a vault.

/// Keeps keys and plaintext out of crash dumps: no core files, and (on Linux) the process is
/// marked non-dumpable, which also stops other processes of the same user from attaching a
/// debugger or reading its memory through /proc. Best effort: failures are ignored because
/// they only mean the platform does not support the setting.
pub fn harden_process() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{DumpableBehavior, Resource, Rlimit, set_dumpable_behavior, setrlimit};
        let _ = setrlimit(Resource::Core, Rlimit { current: Some(0), maximum: Some(0) });
        let _ = set_dumpable_behavior(DumpableBehavior::NotDumpable);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn the_process_becomes_non_dumpable() {
        super::harden_process();
        // Core dumps are off: the soft and hard limits are zero.
        let limits = std::fs::read_to_string("/proc/self/limits").expect("limits");
        let core = limits.lines().find(|line| line.starts_with("Max core file size")).expect("core limit");
        assert!(core.split_whitespace().filter(|word| *word == "0").count() >= 2, "{core}");
        assert_eq!(rustix::process::dumpable_behavior().expect("prctl"), rustix::process::DumpableBehavior::NotDumpable);
    }
}
