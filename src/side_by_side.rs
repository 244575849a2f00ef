//! Takes independent jobs and gives their results in the jobs' order, worked on one thread
//! per core, the first jobs started first. A job that panics becomes an error naming `path`.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::diagnostics::{Error, panic_text};

pub fn side_by_side<J: Sync, R: Send>(
    jobs: &[J],
    path: &Path,
    work: impl Fn(&J) -> Result<R, Error> + Sync,
) -> Result<Vec<R>, Error> {
    let next = AtomicUsize::new(0);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let done: Vec<Result<Vec<(usize, R)>, Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..cores.min(jobs.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(job) = jobs.get(i) else {
                            return Ok(done);
                        };
                        done.push((i, work(job)?));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|payload| {
                    Err(Error::Internal {
                        path: path.to_path_buf(),
                        message: panic_text(payload.as_ref()),
                    })
                })
            })
            .collect()
    });
    let mut results: Vec<Option<R>> = jobs.iter().map(|_| None).collect();
    for worker in done {
        for (i, result) in worker? {
            results[i] = Some(result);
        }
    }
    Ok(results
        .into_iter()
        .map(|r| r.expect("every job was worked"))
        .collect())
}
