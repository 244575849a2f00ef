//! Running the hubstat binary and comparing its output with expectation files.

mod cases;

pub use cases::run_cases;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use datafusion::arrow::array::RecordBatch;
use hubstat::check::ProblemLog;
use hubstat::store::{Store, StoreOptions, StoredTable};

/// The day the tests take as today, so that warnings about future dates do not move.
pub const TODAY: &str = "2026-11-22";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The cache folder of this test run, so that default stores never touch the user's.
pub fn cache_home() -> &'static Path {
    static HOME: OnceLock<tempfile::TempDir> = OnceLock::new();
    HOME.get_or_init(|| tempfile::tempdir().expect("a cache folder"))
        .path()
}

/// hubstat in the project root, with this run's cache folder.
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hubstat"));
    command
        .current_dir(root())
        .env("XDG_CACHE_HOME", cache_home())
        .env_remove("SOURCE_DATE_EPOCH");
    command
}

/// Runs hubstat in the project root with `args`.
pub fn hubstat(args: &[&str]) -> Output {
    command().args(args).output().expect("hubstat runs")
}

pub fn code(output: &Output) -> i32 {
    output.status.code().expect("hubstat exits with a code")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// A copy of the hand-made export of tests/figures/data in `to`, to change without harm.
pub fn copy_of_figures_data(to: &Path) {
    std::fs::create_dir_all(to).expect("a folder");
    for entry in std::fs::read_dir(root().join("tests/figures/data")).expect("the data") {
        let entry = entry.expect("a file");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copied");
    }
}

/// Asserts that a run ended with `expected` as its exit code and said `message` on stderr.
pub fn assert_fails(output: &Output, expected: i32, message: &str, what: &str) {
    let err = stderr(output);
    assert_eq!(code(output), expected, "{what}: {err}");
    assert!(err.contains(message), "{what}: {err}");
}

/// An export checked in this process into a store of its own, with every problem listed.
pub struct Loaded {
    pub store: Store,
    pub problems: ProblemLog,
}

impl Loaded {
    pub fn table(&self, name: &str) -> Option<&StoredTable> {
        self.store.table(name)
    }

    /// The accepted rows of a table as one batch, in file order.
    pub fn rows(&self, name: &str) -> RecordBatch {
        self.store
            .read_rows(name)
            .expect("readable")
            .expect("the table is there")
    }
}

/// Loads and checks an export folder in this process, listing every problem.
pub fn load(dir: &Path) -> Loaded {
    let store = Store::open(&StoreOptions {
        data: Some(dir.to_path_buf()),
        store: None,
        no_store: true,
        encoding: hubstat::load::Encoding::Auto,
        regions: None,
        progress: hubstat::progress::Progress::new(false),
    })
    .expect("the export loads");
    let today = hubstat::period::parse_date(TODAY).expect("a date");
    let problems = store.problems(today, None).expect("the problems");
    Loaded { store, problems }
}

/// The sample export, loaded.
pub fn sample() -> Loaded {
    load(&root().join("fixtures/sample"))
}

/// How the tests run queries.
pub fn engine_options() -> hubstat::query::EngineOptions {
    hubstat::query::EngineOptions {
        skip_invalid: false,
        memory_limit: 512 << 20,
    }
}
