//! `AsyncStore`: the `Store` lives on one dedicated thread; async code sends it closures and
//! awaits the answer, so the UI and engine never block on disk.

use std::path::Path;
use std::sync::{Arc, mpsc};

use super::Store;
use super::error::StoreError;

type Job = Box<dyn FnOnce(&mut Store) + Send + 'static>;

/// A cheap, cloneable handle to the store thread. The thread ends when the last handle drops.
///
/// It also tracks whether the journal can write: any job that fails with a write failure
/// (disk full, read-only, I/O error; [`StoreError::is_write_failure`]) marks it unwritable at
/// once; only a successful [`AsyncStore::probe_write`] marks it writable again. The engine
/// makes no call that moves money while it is unwritable.
#[derive(Debug, Clone)]
pub struct AsyncStore {
    tx: mpsc::Sender<Job>,
    writable: Arc<tokio::sync::watch::Sender<bool>>,
}

impl AsyncStore {
    /// Move an opened store onto its own thread.
    pub fn new(store: Store) -> Result<AsyncStore, StoreError> {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("kasse-store".into())
            .spawn(move || {
                let mut store = store;
                while let Ok(job) = rx.recv() {
                    // A panicking job must not take the till's journal down with it. Its open
                    // transaction (if any) was rolled back while unwinding; the caller gets
                    // `JobPanicked` because its answer channel was dropped unanswered.
                    let run = std::panic::AssertUnwindSafe(|| job(&mut store));
                    if std::panic::catch_unwind(run).is_err() {
                        tracing::error!("a store job panicked; its changes were rolled back");
                    }
                }
                tracing::debug!("store thread stopped");
            })
            .map_err(|source| StoreError::Io {
                path: "kasse-store thread".into(),
                source,
            })?;
        let (writable, _) = tokio::sync::watch::channel(true);
        Ok(AsyncStore {
            tx,
            writable: Arc::new(writable),
        })
    }

    /// False from the moment a write failed until [`AsyncStore::probe_write`] succeeds.
    pub fn is_writable(&self) -> bool {
        *self.writable.borrow()
    }

    /// Follow [`AsyncStore::is_writable`] (changes only).
    pub fn watch_writable(&self) -> tokio::sync::watch::Receiver<bool> {
        self.writable.subscribe()
    }

    fn note<R>(&self, r: &Result<R, StoreError>) {
        if let Err(e) = r
            && e.is_write_failure()
        {
            let changed = self
                .writable
                .send_if_modified(|w| std::mem::replace(w, false));
            if changed {
                tracing::error!(error = %e, "the journal cannot write; money calls stop until it can");
            }
        }
    }

    /// Try a write ([`Store::write_probe`]); on success the journal is writable again.
    pub async fn probe_write(&self) -> Result<(), StoreError> {
        let r = self.call(|s| s.write_probe()).await?;
        self.note(&r);
        if r.is_ok() {
            let changed = self
                .writable
                .send_if_modified(|w| !std::mem::replace(w, true));
            if changed {
                tracing::warn!("the journal can write again");
            }
        }
        r
    }

    /// Open the database at `path` on the store thread (the open itself does not block the
    /// caller's runtime).
    pub async fn open(path: &Path) -> Result<AsyncStore, StoreError> {
        let path = path.to_path_buf();
        let store = tokio::task::spawn_blocking(move || Store::open(&path))
            .await
            .map_err(|_| StoreError::Closed)??;
        AsyncStore::new(store)
    }

    /// Run `f` on the store thread and await its result. `Err(JobPanicked)` if `f` panicked
    /// (the thread keeps serving), `Err(Closed)` if the thread is gone.
    pub async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Store) -> R + Send + 'static,
    {
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |store: &mut Store| {
            let _ = done_tx.send(f(store));
        });
        self.tx.send(job).map_err(|_| StoreError::Closed)?;
        done_rx.await.map_err(|_| StoreError::JobPanicked)
    }

    /// Like [`AsyncStore::run`], but waits on the calling thread. Only for plain threads that
    /// are not async tasks (the printing thread); never call it on the UI task or a runtime.
    pub fn run_blocking<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
    {
        let (done_tx, done_rx) = mpsc::channel();
        let job: Job = Box::new(move |store: &mut Store| {
            let _ = done_tx.send(f(store));
        });
        self.tx.send(job).map_err(|_| StoreError::Closed)?;
        let r = done_rx.recv().map_err(|_| StoreError::JobPanicked)?;
        self.note(&r);
        r
    }

    /// Like [`AsyncStore::call`] for closures that return a store result (flattens the error).
    pub async fn run<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
    {
        let r = self.call(f).await?;
        self.note(&r);
        r
    }
}
