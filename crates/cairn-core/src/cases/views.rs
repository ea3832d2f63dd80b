//! What front ends render: a case as listed, opened, searched; its conflicts; an attachment.

use std::collections::BTreeMap;

use cairn_model::{
    AttachmentRef, CaseCounts, CaseRecord, Conflict, DocumentKind, IdentityField, Millis, ObjectId, TestimonyRecord,
};
use cairn_store::CaseSummaryRow;

/// A case as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSummary {
    /// Case id.
    pub id: ObjectId,
    /// Title.
    pub title: String,
    /// Status code.
    pub status: String,
    /// Risk level code.
    pub risk: String,
    /// Created (ms since the Unix epoch).
    pub created_at: Millis,
    /// Last changed on this device (ms).
    pub updated_at: Millis,
    /// Counts of the case's parts.
    pub counts: CaseCounts,
    /// Unresolved conflicts in all of the case's documents.
    pub conflicts: u32,
    /// Whether a team member deleted the case and this (HQ) vault keeps it archived.
    pub deleted: bool,
    /// Tags, without duplicates.
    pub tags: Vec<String>,
    /// The act types of the case's acts, sorted, without duplicates.
    pub act_types: Vec<String>,
    /// The earliest event date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`), if any event is dated.
    pub first_date: Option<String>,
    /// The latest event date, if any.
    pub last_date: Option<String>,
    /// Where the case stands in its handover to HQ.
    pub handover: crate::handover::HandoverState,
}

/// A whole case, opened.
#[derive(Debug, Clone)]
pub struct CaseView {
    /// Case id.
    pub id: ObjectId,
    /// The case document. Its persons' identity fields are sealed bytes: read them with
    /// [`crate::Session::reveal_identity`], and see [`CaseView::identity_sealed`].
    pub record: CaseRecord,
    /// Per person (id in hex), the recorded identity fields this device cannot open: "sealed
    /// for HQ", not empty. A person with none sealed for others is not listed.
    pub identity_sealed: BTreeMap<String, Vec<IdentityField>>,
    /// The testimonies, by id.
    pub testimonies: Vec<(ObjectId, TestimonyRecord)>,
    /// Unresolved conflicts in any of the case's documents.
    pub conflicts: Vec<CaseConflict>,
    /// Testimonies the case document lists whose own document has not (fully) arrived from a
    /// peer yet: shown as "still arriving", never an error.
    pub arriving_testimonies: Vec<ObjectId>,
    /// Attachments the case document lists whose content has not arrived from a peer yet
    /// (it follows the documents in the same or a later sync).
    pub arriving_attachments: Vec<ObjectId>,
    /// The heads of every document shown (the case document and each testimony): what an
    /// editor passes back as the base of its edit.
    pub document_heads: Vec<(ObjectId, Vec<[u8; 32]>)>,
    /// Last changed on this device (ms).
    pub updated_at: Millis,
}

/// A conflict in one of a case's documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseConflict {
    /// The document (the case id for the case document, else a testimony id).
    pub document_id: ObjectId,
    /// Which document: the case document or a testimony.
    pub document_kind: DocumentKind,
    /// The conflicting field and its values.
    pub conflict: Conflict,
}

impl CaseConflict {
    /// Whether the conflict is on a single text field, so it can also be settled by typing a
    /// value ([`crate::Session::merge_conflict`]) rather than only by keeping one of the values.
    /// Not when a value is sealed for others: HQ settles that one.
    pub fn mergeable(&self) -> bool {
        !self.sealed() && self.document_kind.can_merge(&self.conflict.path)
    }

    /// Whether a value is a sealed identity value this device cannot open: only a device that
    /// opens them all (HQ) may resolve the conflict (elsewhere it is refused with
    /// `identity_sealed`). Opened values are shown as text in [`Conflict::values`].
    pub fn sealed(&self) -> bool {
        self.conflict.values.iter().any(|value| value.sealed.is_some())
    }
}

/// A search result: one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    /// Case id.
    pub case_id: ObjectId,
    /// Case title.
    pub title: String,
    /// Status code.
    pub status: String,
    /// The fields where the terms were found (`title`, `narrative`, `note`, …).
    pub fields: Vec<String>,
    /// An excerpt around the first term.
    pub snippet: String,
}

/// An attachment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    /// Attachment id.
    pub id: ObjectId,
    /// The case.
    pub case_id: ObjectId,
    /// The reference in the case document.
    pub reference: AttachmentRef,
    /// Parts removed on import (metadata segments or chunks).
    pub removed_parts: u32,
}

pub(super) fn summary_from_row(row: CaseSummaryRow) -> CaseSummary {
    CaseSummary {
        id: row.case_id,
        title: row.title,
        status: row.status,
        risk: row.risk,
        created_at: row.created_at,
        updated_at: row.updated_at,
        counts: CaseCounts {
            persons: row.persons,
            testimonies: row.testimonies,
            events: row.events,
            acts: row.acts,
            notes: row.notes,
            attachments: row.attachments,
        },
        conflicts: row.conflicts,
        deleted: row.deleted,
        tags: row.tags,
        act_types: row.act_types,
        first_date: Some(row.first_date).filter(|date| !date.is_empty()),
        last_date: Some(row.last_date).filter(|date| !date.is_empty()),
        handover: crate::handover::HandoverState::of(row.handover_ready_at, row.handover_covered_at),
    }
}
