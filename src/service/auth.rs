//! Login, lockout and the manager gate. The lockout check and the journal run on the store
//! thread; the PIN check (argon2id, CPU work) runs on the blocking pool in between, so the
//! store's one writer never waits on hashing.

use time::OffsetDateTime;

use super::StaffDb;
use crate::domain::staff::{Permission, Session, StaffError, require};
use crate::lang::Text;
use crate::store::staff::match_pin;

/// Log in with a PIN: lockout first (refused while locked, journaled), then the PIN check off
/// the store thread, then the outcome (failure count, lock, journal) in one transaction.
pub async fn login(db: &StaffDb, pin: &str, now: OffsetDateTime) -> Result<Session, StaffError> {
    let start = db.run(move |db| db.login_start(now)).await?;
    let (pin, start) = (pin.to_owned(), start);
    let (matched, pin_len, start) = tokio::task::spawn_blocking(move || {
        let m = match_pin(&pin, start.candidates());
        (m, pin.chars().count(), start)
    })
    .await
    .map_err(|e| {
        StaffError::Internal(Text::new(
            format!("En intern feil stoppet PIN-sjekken ({e}). Prøv igjen."),
            format!("An internal error stopped the PIN check ({e}). Try again."),
        ))
    })?;
    db.run(move |db| db.login_finish(&start, matched, pin_len, now))
        .await
}

/// Log in and require `permission`: a refusal is journaled (who, what, when) and the member
/// logged out again. The session for a money-moving action; log it out afterwards.
pub async fn manager_session(
    db: &StaffDb,
    pin: &str,
    permission: Permission,
    now: OffsetDateTime,
) -> Result<Session, StaffError> {
    let session = login(db, pin, now).await?;
    if let Err(e) = require(&session, permission) {
        let s = session.clone();
        let _ = db
            .run(move |db| {
                let _ = db.authorize(&s, permission, None, None, now);
                db.logout(s, now)
            })
            .await;
        return Err(e);
    }
    Ok(session)
}

/// The manager gate of the screen: log in, check and journal the permission (allowed or
/// refused), log out. Never logs the PIN.
pub async fn manager_gate(
    db: &StaffDb,
    pin: &str,
    permission: Permission,
    now: OffsetDateTime,
) -> Result<(), StaffError> {
    let session = login(db, pin, now).await?;
    db.run(move |db| {
        let decision = db.authorize(&session, permission, None, None, now);
        if let Err(e) = db.logout(session, now) {
            tracing::warn!(error = %e, "manager PIN check: logout not journaled");
        }
        decision
    })
    .await
}
