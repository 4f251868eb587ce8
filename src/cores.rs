//! Work split over the machine's cores, for the few steps of a million-node analysis that
//! are worth it. Without a thread pool: each split starts one scoped thread, which costs
//! tens of microseconds, so callers split only work far larger than that.

use std::sync::{Mutex, PoisonError};

/// Runs `a` on a second thread while `b` runs on this one; both here, one after the
/// other, when no thread can be started (a container's process limit): slower, never a
/// failed command.
pub(crate) fn both<A: Send, B>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    let job = Mutex::new(Some(a));
    let take = || job.lock().unwrap_or_else(PoisonError::into_inner).take();
    std::thread::scope(|s| {
        let second = std::thread::Builder::new().spawn_scoped(s, || take().map(|a| a()));
        let b = b();
        let a = match second {
            Ok(thread) => thread
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            // The closure never ran: the job is still there.
            Err(_) => take().map(|a| a()),
        };
        (
            a.unwrap_or_else(|| unreachable!("the job runs exactly once")),
            b,
        )
    })
}
