//! The till's replicator: sends the feed to HQ in the background, in order, one batch per
//! PostgreSQL transaction, and acknowledges in the journal what HQ has. The till never waits
//! for it: sales are journaled (and fill the feed) whether HQ answers or not; the worker
//! catches up when HQ is back. `kasse hq sync` runs the same rounds until nothing is left.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::push::{Sender, heartbeat, push_batch};
use super::{HqError, Pool};
use crate::clock::Clock;
use crate::store::AsyncStore;

/// One till's replication to HQ.
#[derive(Clone)]
pub struct Replicator {
    store: AsyncStore,
    pool: Pool,
    clock: Arc<dyn Clock>,
    shop_id: String,
    till_id: String,
    batch_rows: usize,
    /// Told the HQ catalogue versions the background worker applied (the running till reloads
    /// its catalogue, so it sells at the prices it journaled).
    catalog_applied: Option<tokio::sync::mpsc::UnboundedSender<Vec<i64>>>,
}

impl std::fmt::Debug for Replicator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the pool's settings (they hold the URL's password).
        f.debug_struct("Replicator")
            .field("shop_id", &self.shop_id)
            .field("till_id", &self.till_id)
            .field("batch_rows", &self.batch_rows)
            .finish_non_exhaustive()
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Feed rows sent (HQ may have had some of them already).
    pub sent: usize,
    /// Feed rows HQ has not acknowledged after the round.
    pub behind: i64,
}

impl Replicator {
    pub fn new(
        store: AsyncStore,
        pool: Pool,
        clock: Arc<dyn Clock>,
        shop_id: impl Into<String>,
        till_id: impl Into<String>,
        batch_rows: usize,
    ) -> Replicator {
        Replicator {
            store,
            pool,
            clock,
            catalog_applied: None,
            shop_id: shop_id.into(),
            till_id: till_id.into(),
            batch_rows: batch_rows.max(1),
        }
    }

    /// Feed rows HQ has not acknowledged.
    pub async fn behind(&self) -> Result<i64, HqError> {
        Ok(self.store.run(|s| s.hq_lag()).await?)
    }

    /// Send one batch (or, with nothing to send, say the till is alive).
    pub async fn round(&self) -> Result<Round, HqError> {
        let (limit, now) = (self.batch_rows, self.clock.now());
        let batch = self.store.run(move |s| s.hq_next_batch(limit, now)).await?;
        let mut client = self.pool.get().await?;
        let Some(batch) = batch else {
            let now = self.clock.now();
            let stream = self.store.run(move |s| s.install_id_at(now)).await?;
            let from = self.sender(0);
            heartbeat(&client, &stream, &from).await?;
            return Ok(Round { sent: 0, behind: 0 });
        };
        let before = self.behind().await?;
        let sent = batch.rows.len();
        let from = self.sender(before - i64::try_from(sent).unwrap_or(0));
        match push_batch(&mut client, &from, &batch).await {
            Ok(high) => {
                // Acknowledge the rows of this batch HQ has (all of them, unless HQ answered
                // with an older high-water mark, which cannot happen after a successful push).
                let acked = batch
                    .rows
                    .iter()
                    .take_while(|r| r.seq <= high)
                    .last()
                    .map_or(0, |r| r.id);
                let now = self.clock.now();
                self.store.run(move |s| s.hq_ack(acked, now)).await?;
            }
            Err(HqError::Gap { stream, next }) => {
                tracing::warn!(%stream, next, "HQ is missing part of this till's feed; rewinding");
                self.store.run(move |s| s.hq_rewind(&stream, next)).await?;
            }
            Err(e) => return Err(e),
        }
        Ok(Round {
            sent,
            behind: self.behind().await?,
        })
    }

    /// Tell `tx` the versions each background round applied (none refused ones).
    pub fn notify_catalog(mut self, tx: tokio::sync::mpsc::UnboundedSender<Vec<i64>>) -> Self {
        self.catalog_applied = Some(tx);
        self
    }

    /// Apply the catalogue versions HQ published for this till's shop (or the chain) that this
    /// till has not applied yet ([`super::catalog::pull`]).
    pub async fn pull_catalog(&self) -> Result<Vec<super::catalog::Applied>, HqError> {
        super::catalog::pull(
            &self.pool,
            &self.store,
            self.clock.as_ref(),
            &self.shop_id,
            &self.till_id,
        )
        .await
    }

    /// Take in the staff HQ created for this till's shop that the till does not have yet
    /// ([`super::staff::pull`]).
    pub async fn pull_staff(&self) -> Result<Vec<super::staff::Arrived>, HqError> {
        super::staff::pull(
            &self.pool,
            &self.store,
            self.clock.as_ref(),
            &self.shop_id,
            &self.till_id,
        )
        .await
    }

    /// Apply HQ's changes to its members (deactivated, activated, new PIN) that the till has
    /// not applied yet ([`super::staff::pull_changes`]; after [`Replicator::pull_staff`]).
    pub async fn pull_staff_changes(&self) -> Result<Vec<(i64, String, &'static str)>, HqError> {
        super::staff::pull_changes(
            &self.pool,
            &self.store,
            self.clock.as_ref(),
            &self.shop_id,
            &self.till_id,
        )
        .await
    }

    /// Send until HQ has everything (or `max_wait` passes, or HQ fails). Returns the rows sent.
    pub async fn sync(&self, max_wait: Duration) -> Result<usize, HqError> {
        let run = async {
            let mut total = 0;
            loop {
                let r = self.round().await?;
                total += r.sent;
                if r.behind == 0 {
                    return Ok(total);
                }
            }
        };
        match tokio::time::timeout(max_wait, run).await {
            Ok(r) => r,
            Err(_) => Err(HqError::Unreachable(format!(
                "not caught up within {} s ({} rows left)",
                max_wait.as_secs(),
                self.behind().await.unwrap_or(-1)
            ))),
        }
    }

    /// Run in the background until the handle is aborted: a round every `every` (at once
    /// again while there is more to send), publishing how far behind HQ is. Errors are logged
    /// (never the URL) and retried with a growing pause, up to a minute.
    pub fn spawn(self, every: Duration) -> (tokio::task::JoinHandle<()>, watch::Receiver<i64>) {
        let (tx, rx) = watch::channel(0i64);
        let task = tokio::spawn(async move {
            let mut pause = every;
            let mut failing = false;
            loop {
                // The catalogue and staff first (small queries; they log what they apply). An
                // unreachable HQ is reported by the round below.
                if let Ok(applied) = self.pull_catalog().await {
                    let versions: Vec<i64> = applied
                        .iter()
                        .filter(|a| a.refused.is_none())
                        .map(|a| a.version)
                        .collect();
                    if let (false, Some(tx)) = (versions.is_empty(), &self.catalog_applied) {
                        let _ = tx.send(versions);
                    }
                }
                if self.pull_staff().await.is_ok() {
                    let _ = self.pull_staff_changes().await;
                }
                match self.round().await {
                    Ok(r) => {
                        if failing {
                            tracing::info!("HQ reachable again; catching up");
                            failing = false;
                        }
                        pause = every;
                        tx.send_replace(r.behind);
                        if r.sent > 0 && r.behind > 0 {
                            continue;
                        }
                    }
                    Err(e) => {
                        if !failing {
                            tracing::warn!(error = %e, "HQ replication paused; the till keeps selling");
                            failing = true;
                        }
                        if let Ok(n) = self.behind().await {
                            tx.send_replace(n);
                        }
                        pause = (pause * 2).min(Duration::from_secs(60));
                    }
                }
                tokio::time::sleep(pause).await;
            }
        });
        (task, rx)
    }

    fn sender(&self, lag_after: i64) -> Sender {
        Sender {
            shop_id: self.shop_id.clone(),
            till_id: self.till_id.clone(),
            lag_after: lag_after.max(0),
        }
    }
}

/// The replicator for a till whose config has `[hq] database_url`; None otherwise.
pub fn for_till(
    cfg: &crate::config::Config,
    store: AsyncStore,
    clock: Arc<dyn Clock>,
) -> Result<Option<Replicator>, HqError> {
    if cfg.hq.database_url.is_none() {
        return Ok(None);
    }
    let pool = super::pool_for(&cfg.hq)?;
    Ok(Some(Replicator::new(
        store,
        pool,
        clock,
        cfg.shop.shop_id.clone(),
        cfg.shop.till_id.clone(),
        cfg.hq.batch_rows,
    )))
}
