//! `case new`, `case list`, `case show`, `case set`, `case delete`, `case custody`: whole
//! cases.

use cairn_core::cases::{CaseField, id_to_hex};

use super::{args::CaseSub, input::id_arg, render, session};
use crate::{Cli, exit::Usage, output};

/// Runs one `case …` command.
pub(super) fn run(cli: &Cli, command: &CaseSub) -> anyhow::Result<()> {
    match command {
        CaseSub::New { title, json } => {
            let mut session = session(cli)?;
            let id = session.create_case(title)?;
            session.lock();
            output::result(*json, &render::new_case(&id), || id_to_hex(&id))
        }
        CaseSub::List { json } => {
            let mut session = session(cli)?;
            let cases = session.list_cases()?;
            session.lock();
            output::result(*json, &render::case_list(&cases), || render::case_list_text(&cases))
        }
        CaseSub::Show { id, show_sensitive, json } => {
            let case_id = id_arg(id)?;
            let mut session = session(cli)?;
            let view = session.open_case(&case_id)?;
            // Identity fields are sealed: only the ones this device opens are shown.
            let revealed = if *show_sensitive { Some(session.reveal_identities(&case_id)?) } else { None };
            session.lock();
            let value = render::case_view(&view, revealed.as_ref());
            output::result(*json, &value, || render::case_view_text(&value))
        }
        CaseSub::Set { id, field, value, json } => {
            let case_id = id_arg(id)?;
            let field = CaseField::parse(field).map_err(|_| Usage("the field must be title, status, risk, team or tags"))?;
            let mut session = session(cli)?;
            session.set_case_field(&case_id, field, value)?;
            session.lock();
            output::result(*json, &render::case_field_set(&case_id, field.name(), value), || format!("{} set", field.name()))
        }
        CaseSub::Ready { id, undo, confirm_consent, json } => {
            let case_id = id_arg(id)?;
            let mut session = session(cli)?;
            session.set_ready_for_handover(&case_id, !undo, *confirm_consent)?;
            session.lock();
            let value = serde_json::json!({ "id": id_to_hex(&case_id), "ready": !undo });
            output::result(*json, &value, || {
                if *undo { "no longer ready for handover".to_owned() } else { "ready for handover to HQ".to_owned() }
            })
        }
        CaseSub::Delete { id, json } => {
            let case_id = id_arg(id)?;
            let mut session = session(cli)?;
            session.delete_case(&case_id)?;
            session.lock();
            output::result(*json, &render::case_deleted(&case_id), || "case deleted".to_owned())
        }
        CaseSub::Custody { id, json } => {
            let case_id = id_arg(id)?;
            let mut session = session(cli)?;
            let trail = session.custody_trail(&case_id)?;
            session.lock();
            output::result(*json, &render::custody_trail(&case_id, &trail), || render::custody_trail_text(&trail))
        }
    }
}
