//! Offline detection: any transport error flips the engine offline at once (see
//! `Inner::observe`); this probe asks Vipps periodically while offline and flips it back, which
//! also wakes the outbox worker to drain what queued up.

use crate::engine::core::Inner;
use crate::engine::provider::ErrorClass;
use std::sync::Arc;

/// A reference that never exists: a read of it answers 404 when Vipps is reachable.
pub const PROBE_REFERENCE: &str = "kasse-network-probe";

pub(crate) fn spawn_probe(inner: Arc<Inner>) {
    tokio::spawn(async move {
        let mut shutdown = inner.shutdown.subscribe();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(inner.cfg.probe_interval) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
            if !inner.is_offline() {
                continue;
            }
            let r = inner.backends.epayment.read(PROBE_REFERENCE).await;
            match r {
                Err(e) if e.class == ErrorClass::Offline => {
                    tracing::debug!("network probe: still offline");
                }
                // Any answer from Vipps (even 404 or 401) means the network is back.
                _ => inner.observe(Ok(())),
            }
        }
    });
}
