//! Controlled vocabularies, as data files with Korean and English labels (`vocab/*.toml`,
//! compiled in with `include_str!`). Adding a term means editing a data file, not code; the
//! tests check every file (unique codes, both labels present, codes in `lower_snake_case`).

use std::sync::LazyLock;

use serde::Deserialize;

use crate::ModelError;

/// The vocabularies the model knows. Adding a *kind* needs code (a field must use it);
/// adding a *term* to a kind does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VocabKind {
    /// Types of act (torture, forced repatriation, …).
    ActType,
    /// Perpetrator agencies.
    Agency,
    /// Roles of persons.
    Role,
    /// Informed-consent scopes.
    ConsentScope,
    /// Case status.
    CaseStatus,
    /// Case risk level.
    RiskLevel,
}

impl VocabKind {
    /// Every kind, in display order.
    pub const ALL: [VocabKind; 6] = [
        VocabKind::ActType,
        VocabKind::Agency,
        VocabKind::Role,
        VocabKind::ConsentScope,
        VocabKind::CaseStatus,
        VocabKind::RiskLevel,
    ];

    /// The stable name of the kind (as in the data file's `kind` and on the command line).
    pub fn name(self) -> &'static str {
        match self {
            VocabKind::ActType => "act_type",
            VocabKind::Agency => "agency",
            VocabKind::Role => "role",
            VocabKind::ConsentScope => "consent_scope",
            VocabKind::CaseStatus => "case_status",
            VocabKind::RiskLevel => "risk_level",
        }
    }

    /// Parses a kind name.
    pub fn parse(name: &str) -> Result<VocabKind, ModelError> {
        VocabKind::ALL.into_iter().find(|kind| kind.name() == name).ok_or(ModelError::UnknownVocabulary)
    }

    fn source(self) -> &'static str {
        match self {
            VocabKind::ActType => include_str!("../vocab/act_types.toml"),
            VocabKind::Agency => include_str!("../vocab/agencies.toml"),
            VocabKind::Role => include_str!("../vocab/roles.toml"),
            VocabKind::ConsentScope => include_str!("../vocab/consent_scopes.toml"),
            VocabKind::CaseStatus => include_str!("../vocab/case_statuses.toml"),
            VocabKind::RiskLevel => include_str!("../vocab/risk_levels.toml"),
        }
    }
}

/// One term of a vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    /// Stable code stored in documents (`lower_snake_case`).
    pub code: String,
    /// English label.
    pub en: String,
    /// Korean label.
    pub ko: String,
}

/// One vocabulary: its kind and terms in display order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocabulary {
    /// The kind.
    pub kind: VocabKind,
    /// The terms, in the order of the data file.
    pub terms: Vec<Term>,
}

impl Vocabulary {
    /// The term with this code, if any.
    pub fn term(&self, code: &str) -> Option<&Term> {
        self.terms.iter().find(|term| term.code == code)
    }

    /// Whether `code` is a term of this vocabulary.
    pub fn contains(&self, code: &str) -> bool {
        self.term(code).is_some()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VocabFile {
    kind: String,
    #[serde(rename = "term")]
    terms: Vec<Term>,
}

fn parse(kind: VocabKind) -> Result<Vocabulary, ModelError> {
    parse_source(kind, kind.source())
}

fn parse_source(kind: VocabKind, source: &str) -> Result<Vocabulary, ModelError> {
    let file: VocabFile = toml::from_str(source).map_err(|_| ModelError::VocabularyInvalid)?;
    if file.kind != kind.name() || file.terms.is_empty() {
        return Err(ModelError::VocabularyInvalid);
    }
    for (index, term) in file.terms.iter().enumerate() {
        let code_ok = !term.code.is_empty()
            && term.code.len() <= 64
            && term.code.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_')
            && term.code.as_bytes()[0].is_ascii_lowercase();
        let labels_ok = !term.en.trim().is_empty() && !term.ko.trim().is_empty();
        let unique = file.terms[..index].iter().all(|earlier| earlier.code != term.code);
        if !(code_ok && labels_ok && unique) {
            return Err(ModelError::VocabularyInvalid);
        }
    }
    Ok(Vocabulary { kind, terms: file.terms })
}

static VOCABULARIES: LazyLock<Result<Vec<Vocabulary>, ModelError>> =
    LazyLock::new(|| VocabKind::ALL.into_iter().map(parse).collect());

/// The built-in vocabulary of `kind`.
pub fn vocabulary(kind: VocabKind) -> Result<&'static Vocabulary, ModelError> {
    let all = VOCABULARIES.as_ref().map_err(Clone::clone)?;
    all.iter().find(|vocabulary| vocabulary.kind == kind).ok_or(ModelError::VocabularyInvalid)
}

/// Every built-in vocabulary, in [`VocabKind::ALL`] order.
pub fn vocabularies() -> Result<&'static [Vocabulary], ModelError> {
    VOCABULARIES.as_ref().map(Vec::as_slice).map_err(Clone::clone)
}

/// Checks that `code` is a term of `kind`.
pub fn check_term(kind: VocabKind, code: &str) -> Result<(), ModelError> {
    if vocabulary(kind)?.contains(code) { Ok(()) } else { Err(ModelError::UnknownTerm { kind: kind.name() }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vocabulary_file_is_valid() {
        for kind in VocabKind::ALL {
            let vocabulary = parse(kind).expect("valid vocabulary file");
            assert_eq!(vocabulary.kind, kind);
            assert_eq!(VocabKind::parse(kind.name()), Ok(kind));
        }
        assert_eq!(vocabularies().expect("vocabularies").len(), VocabKind::ALL.len());
        assert_eq!(VocabKind::parse("nonsense"), Err(ModelError::UnknownVocabulary));
    }

    #[test]
    fn act_types_cover_the_required_terms() {
        let acts = vocabulary(VocabKind::ActType).expect("act types");
        for code in [
            "arbitrary_detention",
            "torture",
            "forced_repatriation",
            "trafficking",
            "sexual_violence",
            "forced_marriage",
            "forced_labour",
            "forced_abortion",
            "enforced_disappearance",
            "execution",
            "extortion",
        ] {
            assert!(acts.contains(code), "missing act type {code}");
        }
        assert_eq!(acts.term("torture").map(|term| term.ko.as_str()), Some("고문"));
    }

    #[test]
    fn check_term_refuses_unknown_codes() {
        assert!(check_term(VocabKind::CaseStatus, "draft").is_ok());
        assert_eq!(check_term(VocabKind::CaseStatus, "Draft"), Err(ModelError::UnknownTerm { kind: "case_status" }));
        assert_eq!(check_term(VocabKind::Role, ""), Err(ModelError::UnknownTerm { kind: "role" }));
    }

    #[test]
    fn malformed_files_are_refused() {
        let bad = [
            "kind = \"role\"\n[[term]]\ncode = \"Victim\"\nen = \"x\"\nko = \"y\"\n",
            "kind = \"role\"\n[[term]]\ncode = \"a\"\nen = \"x\"\nko = \"\"\n",
            "kind = \"role\"\n[[term]]\ncode = \"a\"\nen = \"x\"\nko = \"y\"\n[[term]]\ncode = \"a\"\nen = \"x\"\nko = \"y\"\n",
            "kind = \"role\"\n[[term]]\ncode = \"a\"\nen = \"x\"\nko = \"y\"\nextra = 1\n",
        ];
        for source in bad {
            assert_eq!(parse_source(VocabKind::Role, source), Err(ModelError::VocabularyInvalid));
        }
        let wrong_kind = "kind = \"agency\"\n[[term]]\ncode = \"a\"\nen = \"x\"\nko = \"y\"\n";
        assert_eq!(parse_source(VocabKind::Role, wrong_kind), Err(ModelError::VocabularyInvalid));
        let good = "kind = \"role\"\n[[term]]\ncode = \"new_role\"\nen = \"New\"\nko = \"새 역할\"\n";
        assert!(parse_source(VocabKind::Role, good).expect("valid").contains("new_role"));
    }
}
