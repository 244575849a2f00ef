//! The one integration-test binary: it links once.

mod support;

mod cases;
mod check;
mod diff;
mod disclosure;
mod figures;
mod fuzz;
mod geography;
mod query;
mod report;
mod shell;
mod store;
mod synth;
