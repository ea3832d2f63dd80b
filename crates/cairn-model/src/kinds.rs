//! The kinds of a case's documents and of the objects inside them.
//!
//! Stored and shown as their [`as_str`](ObjectKind::as_str) names, which never change (the
//! vault's object index holds them, and front ends switch on them).

/// A document of a case: the case document (its id is the case id) or a testimony.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocumentKind {
    /// The case document: title, status, persons, events, notes, attachment references.
    Case,
    /// One testimony (interview), its own document.
    Testimony,
    /// HQ's handover receipts for the case (see `handover.rs`); never edited by a worker.
    Receipts,
}

impl DocumentKind {
    /// The stable name: `case` or `testimony`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Case => "case",
            DocumentKind::Testimony => "testimony",
            DocumentKind::Receipts => "receipts",
        }
    }

    /// Whether a conflict at `path` in a document of this kind is on a single text field,
    /// so it can be settled by a typed value rather than only by keeping one value.
    pub fn can_merge(self, path: &str) -> bool {
        match self {
            DocumentKind::Case => crate::CaseDoc::can_merge(path),
            DocumentKind::Testimony => crate::TestimonyDoc::can_merge(path),
            DocumentKind::Receipts => false,
        }
    }
}

impl std::fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An object a case holds, found by its id alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// A person (in the case document).
    Person,
    /// A testimony (its own document).
    Testimony,
    /// An event (in the case document).
    Event,
    /// An act within an event.
    Act,
    /// A dated note.
    Note,
    /// An attachment reference (its content is a sealed blob).
    Attachment,
}

impl ObjectKind {
    /// Every kind, in a fixed order.
    pub const ALL: [ObjectKind; 6] = [
        ObjectKind::Person,
        ObjectKind::Testimony,
        ObjectKind::Event,
        ObjectKind::Act,
        ObjectKind::Note,
        ObjectKind::Attachment,
    ];

    /// The stable name, as stored in the object index.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Person => "person",
            ObjectKind::Testimony => "testimony",
            ObjectKind::Event => "event",
            ObjectKind::Act => "act",
            ObjectKind::Note => "note",
            ObjectKind::Attachment => "attachment",
        }
    }

    /// The kind with this stable name, if any.
    pub fn parse(name: &str) -> Option<ObjectKind> {
        ObjectKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

impl std::fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_distinct() {
        for kind in ObjectKind::ALL {
            assert_eq!(ObjectKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ObjectKind::parse("case"), None);
        assert_eq!((DocumentKind::Case.as_str(), DocumentKind::Testimony.as_str()), ("case", "testimony"));
        assert!(DocumentKind::Testimony.can_merge("interviewer") && !DocumentKind::Case.can_merge("persons"));
    }
}
