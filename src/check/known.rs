//! Takes the key values of parent tables as their rows are checked and gives, for a child's
//! foreign key, whether a parent row with that key was accepted, only rejected, or never seen.

use std::collections::HashMap;

use crate::contract::Reference;

/// What the parent table says of a key a child refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentKey {
    /// A row with this key was accepted.
    Accepted,
    /// Rows with this key were read, and every one was rejected.
    Rejected,
    /// No row of the parent table has this key.
    Unknown,
}

/// Keys of one parent table: `Some` with what the children need of the accepted row, `None`
/// while every row with the key was rejected.
type Keys<T> = HashMap<String, Option<T>>;

fn note<T>(keys: &mut Keys<T>, key: &str, accepted: Option<T>) {
    match keys.get_mut(key) {
        Some(slot) => {
            if slot.is_none() {
                *slot = accepted;
            }
        }
        None => {
            keys.insert(key.to_string(), accepted);
        }
    }
}

fn status<T>(keys: &Keys<T>, key: &str) -> ParentKey {
    match keys.get(key) {
        Some(Some(_)) => ParentKey::Accepted,
        Some(None) => ParentKey::Rejected,
        None => ParentKey::Unknown,
    }
}

/// The days a dated thing is valid or active: from (inclusive), to (exclusive); days since
/// 1970-01-01, `None` for open.
pub type Span = (Option<i32>, Option<i32>);

/// The keys of tables already checked, for the foreign keys and warnings of the tables after
/// them. The first accepted row of a key is the one kept.
#[derive(Debug, Default, Clone)]
pub struct Known {
    /// 읍면동 code → its validity.
    emd: Keys<Span>,
    sido: Keys<()>,
    sgg: Keys<()>,
    /// team id → its active days (established_on, closed_on).
    teams: Keys<Span>,
    cases: Keys<()>,
}

impl Known {
    pub fn note_region(
        &mut self,
        emd: Option<&str>,
        sgg: Option<&str>,
        sido: Option<&str>,
        validity: Option<Span>,
    ) {
        let accepted = validity.is_some();
        if let Some(code) = emd {
            note(&mut self.emd, code, validity);
        }
        if let Some(code) = sgg {
            note(&mut self.sgg, code, accepted.then_some(()));
        }
        if let Some(code) = sido {
            note(&mut self.sido, code, accepted.then_some(()));
        }
    }

    /// `active`: `None` when the row was rejected.
    pub fn note_team(&mut self, id: &str, active: Option<Span>) {
        note(&mut self.teams, id, active);
    }

    pub fn note_case(&mut self, id: &str, accepted: bool) {
        note(&mut self.cases, id, accepted.then_some(()));
    }

    pub fn parent(&self, reference: Reference, value: &str) -> ParentKey {
        match reference {
            Reference::Emd => status(&self.emd, value),
            Reference::Team => status(&self.teams, value),
            Reference::Case => status(&self.cases, value),
            Reference::TargetRegion if value == "00" => ParentKey::Accepted,
            Reference::TargetRegion => {
                match (status(&self.sido, value), status(&self.sgg, value)) {
                    (ParentKey::Accepted, _) | (_, ParentKey::Accepted) => ParentKey::Accepted,
                    (ParentKey::Rejected, _) | (_, ParentKey::Rejected) => ParentKey::Rejected,
                    _ => ParentKey::Unknown,
                }
            }
        }
    }

    /// The validity of an accepted 읍면동.
    pub fn emd_validity(&self, code: &str) -> Option<Span> {
        self.emd.get(code).copied().flatten()
    }

    /// The active days of an accepted team.
    pub fn team_life(&self, id: &str) -> Option<Span> {
        self.teams.get(id).copied().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_rejected_only_while_every_row_with_it_was() {
        let mut known = Known::default();
        known.note_team("T1", None);
        assert_eq!(known.parent(Reference::Team, "T1"), ParentKey::Rejected);
        known.note_team("T1", Some((Some(1), None)));
        assert_eq!(known.parent(Reference::Team, "T1"), ParentKey::Accepted);
        known.note_team("T1", None);
        assert_eq!(known.parent(Reference::Team, "T1"), ParentKey::Accepted);
        assert_eq!(known.team_life("T1"), Some((Some(1), None)));
        assert_eq!(known.parent(Reference::Team, "T2"), ParentKey::Unknown);
    }

    #[test]
    fn a_target_region_is_accepted_by_any_accepted_region_row() {
        let mut known = Known::default();
        known.note_region(Some("4211025000"), Some("42110"), Some("42"), None);
        assert_eq!(
            known.parent(Reference::TargetRegion, "42"),
            ParentKey::Rejected
        );
        known.note_region(
            Some("4211026000"),
            Some("42110"),
            Some("42"),
            Some((None, None)),
        );
        assert_eq!(
            known.parent(Reference::TargetRegion, "42"),
            ParentKey::Accepted
        );
        assert_eq!(
            known.parent(Reference::TargetRegion, "00"),
            ParentKey::Accepted
        );
        assert_eq!(
            known.parent(Reference::TargetRegion, "11"),
            ParentKey::Unknown
        );
        assert_eq!(
            known.parent(Reference::Emd, "4211025000"),
            ParentKey::Rejected
        );
    }
}
