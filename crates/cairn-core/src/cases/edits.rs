//! Adding and editing the parts of a case: persons, testimonies, events, acts and notes.

use cairn_model::{
    ActEdit, CaseDoc, EventEdit, NewAct, NewEvent, NewPerson, NewTestimony, ObjectId, ObjectKind, PersonEdit, TestimonyDoc,
    TestimonyEdit,
};

use super::pipeline::{commit_doc, load_doc, new_id, now_ms, owner, read, transact};
use crate::{CoreError, Session};

impl Session {
    /// Adds a person and returns their id. Identity fields are sealed before they are
    /// written (to HQ and the roster's identity readers; before enrollment to this vault's own
    /// key): see `identity.rs`.
    pub fn add_person(&mut self, case_id: &ObjectId, person: &NewPerson) -> Result<ObjectId, CoreError> {
        let id = new_id();
        let recorded = person.identity.fields().iter().any(|(_, value)| value.is_set());
        let keys = self.identity_keys(recorded)?;
        self.edit_case(case_id, |doc, _, now| doc.add_person(&id, person, &mut keys.sealer(case_id), now))?;
        Ok(id)
    }

    /// Adds a testimony (its own document) and returns its id.
    pub fn add_testimony(&mut self, case_id: &ObjectId, testimony: &NewTestimony) -> Result<ObjectId, CoreError> {
        let author = self.worker_name()?;
        let signer = self.change_signer()?;
        let now = now_ms();
        let testimony_id = new_id();
        transact(self.vault_mut(), |tx| {
            let mut case: CaseDoc = load_doc(tx, case_id, case_id, &author)?;
            let mut doc = TestimonyDoc::new_testimony(case_id, &case.record()?, testimony, &author, now)?;
            case.add_testimony_ref(&testimony_id, now)?;
            commit_doc(tx, &signer, case_id, &testimony_id, &mut doc, now)?;
            commit_doc(tx, &signer, case_id, case_id, &mut case, now)?;
            Ok(())
        })?;
        Ok(testimony_id)
    }

    /// edits of other parts merge.
    pub fn set_narrative(&mut self, testimony_id: &ObjectId, text: &str) -> Result<(), CoreError> {
        self.edit_testimony(testimony_id, |doc, now| doc.set_narrative(text, now))
    }

    /// Replaces a testimony's narrative as edited on the version whose heads are `base` (what
    /// the editor showed, from [`CaseView::document_heads`](crate::cases::CaseView)): changes
    /// that arrived from a peer since then are merged with this edit, never reverted by it.
    /// Returns the heads of the edited version: the base of the editor's next save.
    pub fn set_narrative_from(
        &mut self,
        testimony_id: &ObjectId,
        base: &[[u8; 32]],
        text: &str,
    ) -> Result<Vec<[u8; 32]>, CoreError> {
        self.edit_testimony(testimony_id, |doc, now| doc.edit_at(base, |at_base| at_base.set_narrative(text, now)))
    }

    /// Replaces a testimony's transcript as edited on the version `base` (see
    /// [`Session::set_narrative_from`]).
    pub fn set_transcript_from(
        &mut self,
        testimony_id: &ObjectId,
        base: &[[u8; 32]],
        text: &str,
    ) -> Result<Vec<[u8; 32]>, CoreError> {
        self.edit_testimony(testimony_id, |doc, now| doc.edit_at(base, |at_base| at_base.set_transcript(text, now)))
    }

    /// Replaces a testimony's transcript (recorded as a difference).
    pub fn set_transcript(&mut self, testimony_id: &ObjectId, text: &str) -> Result<(), CoreError> {
        self.edit_testimony(testimony_id, |doc, now| doc.set_transcript(text, now))
    }

    /// Adds an event and returns its id.
    pub fn add_event(&mut self, case_id: &ObjectId, event: &NewEvent) -> Result<ObjectId, CoreError> {
        let id = new_id();
        self.edit_case(case_id, |doc, _, now| doc.add_event(&id, event, now))?;
        Ok(id)
    }

    /// Adds an act to an event (found by the event's id alone) and returns the act's id.
    pub fn add_act(&mut self, event_id: &ObjectId, act: &NewAct) -> Result<ObjectId, CoreError> {
        let case_id = read(self.vault_mut(), |tx| owner(tx, event_id, ObjectKind::Event))?;
        let id = new_id();
        self.edit_case(&case_id, |doc, _, now| doc.add_act(event_id, &id, act, now))?;
        Ok(id)
    }

    /// Adds a dated note by `by` (or by this device's worker) and returns its id.
    pub fn add_note(&mut self, case_id: &ObjectId, text: &str, by: Option<&str>) -> Result<ObjectId, CoreError> {
        let id = new_id();
        self.edit_case(case_id, |doc, author, now| doc.add_note(&id, text, by.unwrap_or(author), now))?;
        Ok(id)
    }

    /// Edits a person (found by id alone): pseudonym, roles, identity fields (keep: `None`;
    /// clear: an empty value; replace: a new value, sealed). Only fields that change are
    /// written, so concurrent edits of other fields on another device merge without conflict.
    /// An identity field whose sealed values conflict is refused (`identity_sealed`) unless
    /// this device opens them all (HQ).
    pub fn edit_person(&mut self, person_id: &ObjectId, edit: &PersonEdit) -> Result<(), CoreError> {
        self.edit_person_sealed(person_id, edit)
    }

    /// Edits an event (found by id alone); checked like [`Session::add_event`].
    pub fn edit_event(&mut self, event_id: &ObjectId, edit: &EventEdit) -> Result<(), CoreError> {
        self.edit_case_object(event_id, ObjectKind::Event, |doc, now| doc.edit_event(event_id, edit, now))
    }

    /// Edits an act (found by id alone); checked like [`Session::add_act`].
    pub fn edit_act(&mut self, act_id: &ObjectId, edit: &ActEdit) -> Result<(), CoreError> {
        self.edit_case_object(act_id, ObjectKind::Act, |doc, now| doc.edit_act(act_id, edit, now))
    }

    /// Replaces a note's text (its author and time stay).
    pub fn edit_note(&mut self, note_id: &ObjectId, text: &str) -> Result<(), CoreError> {
        self.edit_case_object(note_id, ObjectKind::Note, |doc, now| doc.edit_note(note_id, text, now))
    }

    /// Edits a testimony's metadata (date, place, interviewer, interpreter, language, source
    /// person, consent). The narrative and transcript have their own setters.
    pub fn edit_testimony_metadata(&mut self, testimony_id: &ObjectId, edit: &TestimonyEdit) -> Result<(), CoreError> {
        let author = self.worker_name()?;
        let signer = self.change_signer()?;
        let now = now_ms();
        transact(self.vault_mut(), |tx| {
            let case_id = owner(tx, testimony_id, ObjectKind::Testimony)?;
            // The case document is read only to check a new source person against its persons.
            let case: CaseDoc = load_doc(tx, &case_id, &case_id, &author)?;
            let mut doc: TestimonyDoc = load_doc(tx, &case_id, testimony_id, &author)?;
            doc.edit_metadata(&case.record()?, edit, now)?;
            commit_doc(tx, &signer, &case_id, testimony_id, &mut doc, now)?;
            Ok(())
        })
    }
}
