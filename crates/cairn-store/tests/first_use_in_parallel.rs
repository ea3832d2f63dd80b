//! Vaults created by several threads at once, as the process's first use of SQLite. SQLite marks
//! itself initialised before SQLCipher's own initialisation has finished, so a connection keyed
//! in that window fails; the store opens the process's first connection while the others wait
//! (`wipe_freed_memory`). A process of its own, so that nothing else started SQLite first.
#![allow(clippy::expect_used)]

use std::sync::{Arc, Barrier};

use cairn_store::{KdfChoice, Vault};
use secrecy::SecretString;

#[test]
fn vaults_created_at_once_by_the_first_threads_of_a_process_all_open() {
    const THREADS: usize = 8;
    let start = Arc::new(Barrier::new(THREADS));
    let creators: Vec<_> = (0..THREADS)
        .map(|_| {
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                let dir = tempfile::tempdir().expect("tempdir");
                start.wait();
                Vault::create(
                    &dir.path().join("v"),
                    &SecretString::from("correct horse battery"),
                    KdfChoice::InsecureTestOnly,
                )
                .map(|_| ())
                .map_err(|error| error.code())
            })
        })
        .collect();
    let outcomes: Vec<_> = creators.into_iter().map(|creator| creator.join().expect("thread")).collect();
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
}
