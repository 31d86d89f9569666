//! Single-flight loading: the first caller to miss a key runs the loader,
//! later callers missing the same key wait for its outcome.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::ThreadId;

/// The outcome of one load, as the waiters see it.
#[derive(Debug)]
pub(crate) enum Outcome<V> {
    /// Still running.
    Pending,
    /// The loader returned this value (cached unless too large).
    Loaded(Arc<V>),
    /// The loader returned an error; its message.
    Failed(Arc<str>),
    /// The loader panicked.
    Panicked,
}

impl<V> Clone for Outcome<V> {
    fn clone(&self) -> Self {
        match self {
            Self::Pending => Self::Pending,
            Self::Loaded(v) => Self::Loaded(Arc::clone(v)),
            Self::Failed(m) => Self::Failed(Arc::clone(m)),
            Self::Panicked => Self::Panicked,
        }
    }
}

/// One load in progress.
#[derive(Debug)]
pub(crate) struct Flight<V> {
    /// The thread running the loader (a waiter on the same thread would
    /// wait for itself).
    pub(crate) leader: ThreadId,
    outcome: Mutex<Outcome<V>>,
    done: Condvar,
}

impl<V> Flight<V> {
    /// A pending flight led by the current thread.
    pub(crate) fn new() -> Self {
        Self {
            leader: std::thread::current().id(),
            outcome: Mutex::new(Outcome::Pending),
            done: Condvar::new(),
        }
    }

    /// Publishes the outcome and wakes every waiter.
    pub(crate) fn finish(&self, outcome: Outcome<V>) {
        *self.outcome.lock().unwrap_or_else(PoisonError::into_inner) = outcome;
        self.done.notify_all();
    }

    /// Blocks until the outcome is published, then returns it.
    pub(crate) fn wait(&self) -> Outcome<V> {
        let guard = self.outcome.lock().unwrap_or_else(PoisonError::into_inner);
        let guard = self
            .done
            .wait_while(guard, |o| matches!(o, Outcome::Pending))
            .unwrap_or_else(PoisonError::into_inner);
        guard.clone()
    }
}

/// Why [`get_or_load`](crate::ModelCache::get_or_load) returned no value.
///
/// A failed load is never cached: the next call for the key runs a loader
/// again.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError<E> {
    /// This call ran the loader and it returned this error.
    Failed(E),
    /// This call waited for another caller's load of the same key, and that
    /// loader returned an error: its message (`Display`). The error value
    /// itself went to the caller that ran the loader, as [`Failed`](Self::Failed).
    Shared(Arc<str>),
    /// This call waited for another caller's load of the same key, and that
    /// loader panicked (the panic itself unwinds in the loading caller).
    Panicked,
    /// The loader, running on this thread, asked for the key it is loading:
    /// waiting would never end.
    Reentrant,
}

impl<E> LoadError<E> {
    /// The loader's own error when this call ran the loader.
    pub fn into_loader_error(self) -> Option<E> {
        match self {
            Self::Failed(e) => Some(e),
            _ => None,
        }
    }
}

impl<E: fmt::Display> fmt::Display for LoadError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Failed(e) => write!(f, "loading failed: {e}"),
            Self::Shared(m) => write!(
                f,
                "loading failed (in a concurrent load of the same key): {m}"
            ),
            Self::Panicked => {
                f.write_str("loading failed: the loader of a concurrent call panicked")
            }
            Self::Reentrant => {
                f.write_str("loading failed: the loader asked for the key it is loading")
            }
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for LoadError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Failed(e) => Some(e),
            _ => None,
        }
    }
}
