//! Offline detection: any transport error flips the engine offline at once, a request without
//! an answer flips it to "not answering" (see `Inner::observe`); this probe asks Vipps
//! periodically whenever the last state is not "online" (also right after start, when nothing
//! is known yet) and records what it finds, which also wakes the outbox worker to drain what
//! queued up once Vipps answers again.

use crate::engine::core::Inner;
use crate::engine::events::NetworkState;
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
            if *inner.network.borrow() == NetworkState::Online {
                continue;
            }
            let r = inner.backends.epayment.read(PROBE_REFERENCE).await;
            // Any answer from Vipps (even 404 or 401) means it is there.
            let seen = r.as_ref().map(|_| ());
            if NetworkState::after(seen) != NetworkState::Online {
                tracing::debug!("network probe: Vipps still not answering or unreachable");
            }
            inner.observe(seen);
        }
    });
}
