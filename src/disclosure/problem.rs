//! Takes nothing: defines the cells of one run's published tables, the relations between
//! them that a reader knows, and what must be protected (primary and virtual primary
//! cells), as the disclosure stage and its audit see them.

/// One published (or implied) count of a run: a figure's column for one region and period.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Its true value: a whole number.
    pub value: i64,
    /// The distinct households behind it (class S); a household count is its own value.
    pub households: i64,
    /// Class S: a count of households or of events about them.
    pub sensitive: bool,
    /// Shown somewhere in the run; an unprinted cell is known to a reader only through the
    /// relations it is in (at least 0).
    pub printed: bool,
    /// The 전국 row or the report scope's total of the current period: chosen to protect
    /// another cell only when nothing else can.
    pub frozen: bool,
    /// 0 for 전국, 1 시도, 2 시군구, 3 읍면동: a deeper cell is hidden before a shallower one.
    pub depth: u8,
}

/// What a reader of the tables knows holds between cells.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Relation {
    /// `total = Σ parts` exactly: an additive count over regions, or a row's breakdown.
    Sum { total: usize, parts: Vec<usize> },
    /// A distinct count over regions: `max(part) <= total <= Σ parts` (one household can be
    /// in two regions). Additive when choosing cells to hide.
    Distinct { total: usize, parts: Vec<usize> },
    /// `lesser <= Σ greater` within a row (households <= visits_total).
    AtMost { lesser: usize, greater: Vec<usize> },
}

impl Relation {
    /// The total (or lesser cell) first, then the parts.
    pub fn members(&self) -> impl Iterator<Item = usize> + '_ {
        let (first, rest) = match self {
            Relation::Sum { total, parts } | Relation::Distinct { total, parts } => (total, parts),
            Relation::AtMost { lesser, greater } => (lesser, greater),
        };
        std::iter::once(*first).chain(rest.iter().copied())
    }

    /// The total and parts of a relation that is a sum when cells are chosen.
    pub fn as_sum(&self) -> Option<(usize, &[usize])> {
        match self {
            Relation::Sum { total, parts } | Relation::Distinct { total, parts } => {
                Some((*total, parts))
            }
            Relation::AtMost { .. } => None,
        }
    }
}

/// The cells and relations of one run, and the rule's threshold.
#[derive(Debug, Clone, Default)]
pub struct Problem {
    pub cells: Vec<Cell>,
    pub relations: Vec<Relation>,
}

/// How strongly a primary cell must be protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// The smallest and largest consistent values differ by at least 1.
    Interval,
    /// As `Interval`, and the largest reaches `k`.
    Range,
}

/// The rule: a class-S cell with 1 to k−1 households is primary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub k: i64,
    pub protection: Protection,
}

impl Default for Rule {
    fn default() -> Rule {
        Rule {
            k: 3,
            protection: Protection::Interval,
        }
    }
}

/// A count that must not be derivable: a primary cell, or the sum of the unprinted members
/// of a printed sum (a virtual cell: a complement, `office + other` behind a printed total).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    pub cells: Vec<usize>,
}

impl Problem {
    pub fn value_of(&self, cells: &[usize]) -> i64 {
        cells.iter().map(|&c| self.cells[c].value).sum()
    }

    /// Whether a printed class-S cell is primary under `rule`.
    pub fn is_primary(&self, cell: usize, rule: Rule) -> bool {
        let c = &self.cells[cell];
        c.printed && c.sensitive && c.value >= 1 && (1..rule.k).contains(&c.households)
    }

    /// Every cell and virtual cell that must be protected, in a fixed order.
    pub fn targets(&self, rule: Rule) -> Vec<Target> {
        let mut targets: Vec<Target> = (0..self.cells.len())
            .filter(|&c| self.is_primary(c, rule))
            .map(|c| Target { cells: vec![c] })
            .collect();
        let mut virtuals: Vec<Target> = self
            .relations
            .iter()
            .filter_map(|r| self.virtual_cell(r, rule))
            .collect();
        virtuals.sort();
        virtuals.dedup();
        targets.extend(virtuals);
        targets
    }

    /// The unprinted parts of a sum with a printed total, when their sum is small: its
    /// households are at least the most of any one part's, and at least the total's less
    /// those of the printed parts; it is protected when that bound is below `k`.
    fn virtual_cell(&self, relation: &Relation, rule: Rule) -> Option<Target> {
        let Relation::Sum { total, parts } = relation else {
            return None;
        };
        let t = &self.cells[*total];
        if !t.printed || !t.sensitive {
            return None;
        }
        let (unprinted, printed): (Vec<usize>, Vec<usize>) =
            parts.iter().partition(|&&p| !self.cells[p].printed);
        if unprinted.is_empty() || !unprinted.iter().all(|&u| self.cells[u].sensitive) {
            return None;
        }
        let value = self.value_of(&unprinted);
        let most = unprinted
            .iter()
            .map(|&u| self.cells[u].households)
            .max()
            .unwrap_or(0);
        let left = t.households
            - printed
                .iter()
                .map(|&p| self.cells[p].households)
                .sum::<i64>();
        let households = if unprinted.len() == 1 {
            most
        } else {
            most.max(left)
        };
        (value >= 1 && households < rule.k).then_some(Target { cells: unprinted })
    }
}
