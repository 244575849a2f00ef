//! Takes the key values of parent tables as their rows are checked and gives, for a child's
//! foreign key, whether a parent row with that key was accepted, only rejected, or never seen.

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

/// The days a dated thing is valid or active: from (inclusive), to (exclusive); days since
/// 1970-01-01, `None` for open.
pub type Span = (Option<i32>, Option<i32>);

/// Values of one key column: `Some` with the span of the accepted row, `None` while every
/// row with the value was rejected.
type Keys = foldhash::HashMap<String, Option<Span>>;

/// The keys of the tables already checked, for the foreign keys and warnings of the tables
/// after them, by (table, column). The first accepted row of a key is the one kept.
#[derive(Debug, Default, Clone)]
pub struct Known {
    /// A handful of columns, looked up for every row of their children: a list, not a map.
    keys: Vec<((&'static str, &'static str), Keys)>,
}

impl Known {
    /// Notes a key value of a row: `accepted` is the row's span (or `(None, None)`), `None`
    /// when the row was rejected.
    pub fn note(
        &mut self,
        table: &'static str,
        column: &'static str,
        value: &str,
        accepted: Option<Span>,
    ) {
        let at = match self.position(table, column) {
            Some(at) => at,
            None => {
                self.keys.push(((table, column), Keys::default()));
                self.keys.len() - 1
            }
        };
        let keys = &mut self.keys[at].1;
        match keys.get_mut(value) {
            Some(slot) => {
                if slot.is_none() {
                    *slot = accepted;
                }
            }
            None => {
                keys.insert(value.to_string(), accepted);
            }
        }
    }

    fn position(&self, table: &str, column: &str) -> Option<usize> {
        self.keys
            .iter()
            .position(|((t, c), _)| *t == table && *c == column)
    }

    fn column(&self, table: &str, column: &str) -> Option<&Keys> {
        self.position(table, column).map(|at| &self.keys[at].1)
    }

    fn status(&self, table: &'static str, column: &'static str, value: &str) -> ParentKey {
        match self.column(table, column).and_then(|k| k.get(value)) {
            Some(Some(_)) => ParentKey::Accepted,
            Some(None) => ParentKey::Rejected,
            None => ParentKey::Unknown,
        }
    }

    pub fn parent(&self, reference: Reference, value: &str) -> ParentKey {
        if reference == Reference::TargetRegion && value == "00" {
            return ParentKey::Accepted;
        }
        let (table, columns) = reference.columns();
        let mut found = ParentKey::Unknown;
        for column in columns {
            match self.status(table, column, value) {
                ParentKey::Accepted => return ParentKey::Accepted,
                ParentKey::Rejected => found = ParentKey::Rejected,
                ParentKey::Unknown => {}
            }
        }
        found
    }

    /// The span of the accepted row with this key.
    pub fn span(&self, table: &'static str, column: &'static str, value: &str) -> Option<Span> {
        self.column(table, column)?.get(value).copied().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_rejected_only_while_every_row_with_it_was() {
        let mut known = Known::default();
        known.note("teams", "team_id", "T1", None);
        assert_eq!(known.parent(Reference::Team, "T1"), ParentKey::Rejected);
        known.note("teams", "team_id", "T1", Some((Some(1), None)));
        assert_eq!(known.parent(Reference::Team, "T1"), ParentKey::Accepted);
        known.note("teams", "team_id", "T1", None);
        assert_eq!(known.parent(Reference::Team, "T1"), ParentKey::Accepted);
        assert_eq!(known.span("teams", "team_id", "T1"), Some((Some(1), None)));
        assert_eq!(known.parent(Reference::Team, "T2"), ParentKey::Unknown);
    }

    #[test]
    fn a_target_region_is_accepted_by_any_accepted_region_row() {
        let mut known = Known::default();
        known.note("regions", "sido_code", "42", None);
        known.note("regions", "sgg_code", "42110", None);
        assert_eq!(
            known.parent(Reference::TargetRegion, "42"),
            ParentKey::Rejected
        );
        known.note("regions", "sido_code", "42", Some((None, None)));
        assert_eq!(
            known.parent(Reference::TargetRegion, "42"),
            ParentKey::Accepted
        );
        assert_eq!(
            known.parent(Reference::TargetRegion, "42110"),
            ParentKey::Rejected
        );
        assert_eq!(
            known.parent(Reference::TargetRegion, "00"),
            ParentKey::Accepted
        );
        assert_eq!(
            known.parent(Reference::TargetRegion, "11"),
            ParentKey::Unknown
        );
    }
}
