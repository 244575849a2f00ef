//! Takes the result tables of a run and gives them masked for publication: small-cell
//! suppression audited by linear programming, and the consistency checks that run before it
//! (../shared/spec/disclosure.md).

pub mod audit;
pub mod problem;
pub mod suppress;

pub use audit::Interval;
pub use problem::{Cell, Problem, Protection, Relation, Rule, Target};
pub use suppress::{Outcome, protect};
