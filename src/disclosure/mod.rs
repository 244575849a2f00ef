//! Takes the result tables of a run and gives them masked for publication: small-cell
//! suppression audited by linear programming, and the consistency checks that run before it
//! (../shared/spec/disclosure.md).

pub mod audit;
pub mod cells;
pub mod problem;
pub mod stage;
pub mod suppress;

pub use audit::Interval;
pub use cells::Parents;
pub use problem::{Cell, Problem, Protection, Relation, Rule, Target};
pub use stage::{Audit, Note, check_and_protect, protect_table};
pub use suppress::{Outcome, protect};
