//! What detection concludes ([`Finding`]) and what the ground truth says ([`Label`]): the same
//! shape, so that they compare row for row.

use crate::enums::{SubjectKind, Typology};

/// What a finding or label is about: a transaction, account, party or institution, by its key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subject {
    pub kind: SubjectKind,
    pub id: String,
}

impl Subject {
    pub fn new(kind: SubjectKind, id: impl Into<String>) -> Self {
        Subject {
            kind,
            id: id.into(),
        }
    }
}

/// A ground-truth row. Never an input to detection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Label {
    pub subject: Subject,
    pub typology: Typology,
    pub group_id: Option<String>,
}

/// One conclusion of finmon about one subject, with the reason an analyst reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub subject: Subject,
    pub typology: Typology,
    /// The network, ring or attempt the subject belongs to; empty for a lone rule breach.
    pub group_id: Option<String>,
    /// 0–1, higher is more suspicious.
    pub score: f64,
    pub reason: String,
}
