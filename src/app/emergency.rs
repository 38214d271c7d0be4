//! Emergency mode in the fiscal journal (forskrifta § 2-7, events 13026 / 13027): while Vipps
//! cannot be reached the till sells cash only, and the journal says when that began and ended.

use crate::engine::{Engine, EngineEvent, NetworkState};
use crate::service::StaffDb;
use tokio::sync::broadcast::error::RecvError;

/// The journaled mode a network state asks for: on when there is no connection to Vipps at
/// all, off when Vipps answers again; a slow answer or an unknown state changes nothing (new
/// Vipps payments are still started then).
pub fn emergency_mode_for(state: NetworkState) -> Option<bool> {
    match state {
        NetworkState::Offline => Some(true),
        NetworkState::Online => Some(false),
        NetworkState::NotAnswering | NetworkState::Unknown => None,
    }
}

fn detail(on: bool) -> &'static str {
    if on {
        "Vipps unreachable: cash sales only / Vipps utilgjengelig: bare kontantsalg"
    } else {
        "Vipps reachable again / Vipps tilgjengelig igjen"
    }
}

/// Journal every change of the till's emergency mode as the engine reports the network.
pub fn spawn_emergency_journal(db: StaffDb, engine: &Engine) -> tokio::task::JoinHandle<()> {
    let mut sub = engine.subscribe();
    let engine = engine.clone();
    tokio::spawn(async move {
        let mut seen = None;
        loop {
            let state = match sub.recv().await {
                Ok(EngineEvent::Network(n)) => n,
                Ok(_) => continue,
                // Missed events: the engine's current state is what counts.
                Err(RecvError::Lagged(_)) => engine.network(),
                Err(RecvError::Closed) => break,
            };
            let Some(on) = emergency_mode_for(state) else {
                continue;
            };
            if seen == Some(on) {
                continue;
            }
            seen = Some(on);
            let now = engine.now();
            if let Err(e) = db
                .run(move |db| db.journal_emergency(on, detail(on), now))
                .await
            {
                tracing::error!(error = %e, "emergency mode not journaled");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lost_connection_is_emergency_mode() {
        assert_eq!(emergency_mode_for(NetworkState::Offline), Some(true));
        assert_eq!(emergency_mode_for(NetworkState::Online), Some(false));
        assert_eq!(emergency_mode_for(NetworkState::NotAnswering), None);
        assert_eq!(emergency_mode_for(NetworkState::Unknown), None);
    }
}
