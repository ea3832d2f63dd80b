//! `worker show` and `worker set`: the worker name recorded with this device's edits.

use super::{args::WorkerSub, render, session};
use crate::{Cli, output};

/// Sets the worker name if asked, then prints the name now recorded.
pub(super) fn run(cli: &Cli, command: &WorkerSub) -> anyhow::Result<()> {
    let mut session = session(cli)?;
    let json = match command {
        WorkerSub::Show { json } => *json,
        WorkerSub::Set { name, json } => {
            session.set_worker_name(name)?;
            *json
        }
    };
    let worker = session.worker_name()?;
    session.lock();
    output::result(json, &render::worker(&worker), || worker.clone())
}
