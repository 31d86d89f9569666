//! The process-wide thread pool.
//!
//! One [rayon] pool serves every multi-threaded kernel. Its size comes from
//! `REALIZAR_THREADS` when set, else from [`std::thread::available_parallelism`];
//! [`init`] can fix it before first use (the CLI's `--threads`). Rayon's
//! workers spin briefly and then sleep, so an idle pool costs nothing and a
//! busy neighbour on a shared machine slows us down gracefully instead of
//! being fought for the core.
//!
//! [`with_threads`] caps the threads a computation on the current thread may
//! use, e.g. to measure single-threaded speed without a second pool.

use rayon::ThreadPool;
use std::cell::Cell;
use std::sync::OnceLock;

static POOL: OnceLock<ThreadPool> = OnceLock::new();

thread_local! {
    static CAP: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// Threads the pool gets when nothing else is said: `REALIZAR_THREADS`, else
/// the machine's available parallelism, else 1.
pub fn default_threads() -> usize {
    std::env::var("REALIZAR_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn build(threads: usize) -> ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("realizar-{i}"))
        .build()
        .or_else(|_| rayon::ThreadPoolBuilder::new().num_threads(1).build())
        .expect("cannot start even a one-thread pool")
}

/// Fixes the pool's size before its first use.
///
/// Returns the size in force: `threads` when this call created the pool,
/// the earlier size when the pool already existed.
pub fn init(threads: usize) -> usize {
    POOL.get_or_init(|| build(threads.max(1)))
        .current_num_threads()
}

/// The pool, created on first use with [`default_threads`] threads.
pub fn pool() -> &'static ThreadPool {
    POOL.get_or_init(|| build(default_threads()))
}

/// Threads a computation started on this thread will use.
pub fn num_threads() -> usize {
    CAP.with(|c| c.get())
        .min(pool().current_num_threads())
        .max(1)
}

/// Runs `f` with at most `threads` threads for the kernels it calls.
pub fn with_threads<R>(threads: usize, f: impl FnOnce() -> R) -> R {
    let old = CAP.with(|c| c.replace(threads.max(1)));
    struct Restore(usize);
    impl Drop for Restore {
        fn drop(&mut self) {
            CAP.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(old);
    f()
}

/// Runs `f(0)`, ..., `f(parts - 1)`, in parallel on the pool when `parts > 1`.
pub(crate) fn run_parts(parts: usize, f: impl Fn(usize) + Sync) {
    if parts <= 1 {
        f(0);
        return;
    }
    let f = &f;
    pool().scope(|s| {
        for i in 1..parts {
            s.spawn(move |_| f(i));
        }
        f(0);
    });
}

/// How many parts to split `work` units into, given that a part should hold
/// at least `min_per_part` units to be worth a thread.
pub(crate) fn parts_for(work: usize, min_per_part: usize) -> usize {
    num_threads().min(work / min_per_part.max(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn runs_every_part_once() {
        let hits: Vec<AtomicUsize> = (0..5).map(|_| AtomicUsize::new(0)).collect();
        run_parts(5, |i| {
            hits[i].fetch_add(1, Ordering::Relaxed);
        });
        assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
    }

    #[test]
    fn with_threads_caps_and_restores() {
        let before = num_threads();
        with_threads(1, || assert_eq!(num_threads(), 1));
        assert_eq!(num_threads(), before);
        assert_eq!(parts_for(10, 100), 1);
    }
}
