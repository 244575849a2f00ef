//! Takes the long steps of a command (loading each table, generating each table, computing a
//! report) and shows them as progress bars on a terminal; gives nothing when stderr is not one.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Progress bars of one command: drawn on stderr when it is a terminal, hidden otherwise.
#[derive(Debug, Clone)]
pub struct Progress(MultiProgress);

impl Progress {
    pub fn new(shown: bool) -> Progress {
        let target = if shown && std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Progress(MultiProgress::with_draw_target(target))
    }

    /// A spinner counting rows: `⠋ visits.csv  1,234,567 rows  3s`.
    pub fn rows(&self, what: &str) -> ProgressBar {
        let bar = self.0.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}  {human_pos} rows  {elapsed}")
                .expect("a valid template"),
        );
        bar.set_message(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }

    /// A bar over a known number of things: `[=====>    ] 7/17 packs: 28 인천광역시`.
    pub fn count(&self, total: u64, what: &str) -> ProgressBar {
        let bar = self.0.add(ProgressBar::new(total));
        bar.set_style(
            ProgressStyle::with_template(&format!("[{{bar:30}}] {{pos}}/{{len}} {what}: {{msg}}"))
                .expect("a valid template"),
        );
        bar
    }

    /// A spinner for a step without rows: `⠋ report: 설치현황`.
    pub fn step(&self, what: &str) -> ProgressBar {
        let bar = self.0.add(ProgressBar::new_spinner());
        bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("a valid template"));
        bar.set_message(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }
}
