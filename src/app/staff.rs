//! Staff at the till and on the command line: the staff journal for a running till, the first
//! manager, adding and listing staff, PIN login and the manager gate (the shell side; the
//! checks are in `domain::staff`, the flows in `service::auth`, the SQL in `store::staff`).

use crate::config::Config;
use crate::lang::Text;
use crate::tui::{self, AppEvent};
use std::path::Path;

/// First run: create the first manager in this till's journal.
pub async fn create_first_manager(
    config: &Config,
    dir: &Path,
    name: &str,
    pin: &secrecy::SecretString,
    now: time::OffsetDateTime,
) -> Result<(), Text> {
    use secrecy::ExposeSecret;
    let db = staff_db_for(config, dir).await?;
    let name = name.to_owned();
    let pin = pin.expose_secret().to_owned();
    db.run(move |db| db.create_first_manager(&name, &pin, now))
        .await
        .map(|_| ())
        .map_err(|e| e.message())
}

/// Open this till's staff journal for a headless staff command (migrating the file first).
async fn staff_db_for(config: &Config, dir: &Path) -> Result<crate::service::StaffDb, Text> {
    let store_dir = dir.to_path_buf();
    let store = tokio::task::spawn_blocking(move || crate::store::Store::open_in_dir(&store_dir))
        .await
        .map_err(|e| Text::new(format!("Databasefeil: {e}"), format!("Database error: {e}")))?
        .map_err(|e| e.message())?;
    let store = crate::store::AsyncStore::new(store).map_err(|e| e.message())?;
    crate::service::StaffDb::new(store, &config.shop.shop_id, &config.shop.till_id)
        .map_err(|e| e.message())
}

/// `kasse add-staff`: a manager (logged in with `manager_pin`, journaled) adds a cashier or a
/// manager with their own PIN. Never logs or returns a PIN.
pub async fn add_staff(
    config: &Config,
    dir: &Path,
    name: &str,
    role: crate::domain::staff::Role,
    pin: &secrecy::SecretString,
    manager_pin: &secrecy::SecretString,
    now: time::OffsetDateTime,
) -> Result<crate::domain::staff::StaffMember, Text> {
    use secrecy::ExposeSecret;
    let db = staff_db_for(config, dir).await?;
    let (name, pin, manager_pin) = (
        name.to_owned(),
        pin.expose_secret().to_owned(),
        manager_pin.expose_secret().to_owned(),
    );
    let by = db.login(&manager_pin, now).await.map_err(|e| e.message())?;
    if by.weak_pin() {
        eprintln!("kasse: {}", crate::domain::staff::weak_pin_warning().en);
    }
    let added = db.create_staff(&by, &name, &pin, role, now).await;
    if let Err(e) = db.logout(by, now).await {
        tracing::warn!(error = %e, "add-staff: logout not journaled");
    }
    added.map_err(|e| e.message())
}

/// `kasse deactivate-staff` / `kasse activate-staff`: a manager (PIN from KASSE_MANAGER_PIN)
/// stops a member of this till logging in, or lets them in again.
pub async fn set_staff_active(
    config: &Config,
    dir: &Path,
    id: &str,
    active: bool,
    reason: &str,
    manager_pin: &secrecy::SecretString,
    now: time::OffsetDateTime,
) -> Result<crate::domain::staff::StaffMember, Text> {
    use secrecy::ExposeSecret;
    let db = staff_db_for(config, dir).await?;
    let manager_pin = manager_pin.expose_secret().to_owned();
    let by = db.login(&manager_pin, now).await.map_err(|e| e.message())?;
    let changed = db.set_staff_active(&by, id, active, reason, now).await;
    if let Err(e) = db.logout(by, now).await {
        tracing::warn!(error = %e, "deactivate-staff: logout not journaled");
    }
    changed.map_err(|e| e.message())
}

/// `kasse list-staff`: every staff member (names and roles; never PINs or hashes).
pub async fn list_staff(
    config: &Config,
    dir: &Path,
) -> Result<Vec<crate::domain::staff::StaffMember>, Text> {
    // Read-only beside a running till: check the journal without migrating it.
    let store_dir = dir.to_path_buf();
    let opened =
        tokio::task::spawn_blocking(move || crate::store::Store::open_read_only(&store_dir))
            .await
            .map_err(|e| Text::new(format!("Databasefeil: {e}"), format!("Database error: {e}")))?;
    let store = match opened {
        Ok(s) => s,
        // A fresh install has no journal and so no staff.
        Err(crate::store::StoreError::NoJournal { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e.message()),
    };
    let store = crate::store::AsyncStore::new(store).map_err(|e| e.message())?;
    crate::service::StaffDb::new(store, &config.shop.shop_id, &config.shop.till_id)
        .map_err(|e| e.message())?
        .list_staff()
        .await
        .map_err(|e| e.message())
}

/// The staff journal as the screen's commands see it: open, or why it could not be opened.
pub type StaffAccess = Result<crate::service::StaffDb, Text>;

/// The staff functions for the screen, over the till's store (no IO here).
pub fn open_staff(config: &Config, store: crate::store::AsyncStore) -> StaffAccess {
    crate::service::StaffDb::new(store, &config.shop.shop_id, &config.shop.till_id)
        .map(|db| with_company(db, config))
        .map_err(|e| {
            let m = e.message();
            Text::new(
                format!("Kan ikke sjekke leder-PIN: {}", m.nb),
                format!("Cannot check the manager PIN: {}", m.en),
            )
        })
}

/// The business the X/Z reports name (§ 2-8-2 a), from `[shop]`, and how the drawer is kept
/// (`[till] drawer_per_operator`).
pub fn with_company(db: crate::service::StaffDb, config: &Config) -> crate::service::StaffDb {
    db.with_company(config.shop.org_number.as_deref(), Some(&config.shop.name))
        .with_drawer_per_operator(config.till.drawer_per_operator)
}

/// Check a manager PIN on the blocking pool: log in, require the permission, journal the
/// decision (who, what, when — never the PIN), log out. The answer for the screen.
pub async fn verify_manager_pin(
    staff: &StaffAccess,
    request_id: u64,
    pin: tui::ManagerPin,
    permission: tui::ManagerPermission,
    now: time::OffsetDateTime,
) -> AppEvent {
    let db = match staff {
        Ok(db) => db,
        Err(t) => {
            return AppEvent::ManagerPin {
                request_id,
                ok: false,
                reason: Some(t.clone()),
            };
        }
    };
    let permission = permission.staff();
    let result = crate::service::auth::manager_gate(db, pin.expose(), permission, now).await;
    match result {
        Ok(()) => AppEvent::ManagerPin {
            request_id,
            ok: true,
            reason: None,
        },
        Err(e) => {
            tracing::info!(permission = permission.code(), error = %e, "manager PIN refused");
            AppEvent::ManagerPin {
                request_id,
                ok: false,
                reason: Some(e.message()),
            }
        }
    }
}

/// Log a staff member in at the till (`service::auth::login`: the lockout and
/// journal: every attempt is journaled, never the PIN). The answer for the screen.
pub async fn login_at_till(
    staff: &StaffAccess,
    request_id: u64,
    pin: tui::ManagerPin,
    now: time::OffsetDateTime,
) -> AppEvent {
    login_at_till_warned(staff, request_id, pin, now).await.0
}

/// [`login_at_till`], plus the warning to show when a manager logged in with a PIN shorter
/// than 6 digits (set before the rule; it keeps working until changed).
pub async fn login_at_till_warned(
    staff: &StaffAccess,
    request_id: u64,
    pin: tui::ManagerPin,
    now: time::OffsetDateTime,
) -> (AppEvent, Option<Text>) {
    let db = match staff {
        Ok(db) => db,
        Err(t) => {
            return (
                AppEvent::LoggedIn {
                    request_id,
                    result: Err(t.clone()),
                },
                None,
            );
        }
    };
    let mut warning = None;
    let result = db
        .login(pin.expose(), now)
        .await
        .map(|session| {
            if session.weak_pin() {
                warning = Some(crate::domain::staff::weak_pin_warning());
            }
            tui::Cashier {
                staff_id: session.staff_id().to_owned(),
                name: session.name().to_owned(),
                role: session.role(),
            }
        })
        .map_err(|e| {
            tracing::info!(error = %e, "login at the till refused");
            e.message()
        });
    (AppEvent::LoggedIn { request_id, result }, warning)
}

/// `--demo`: make sure the training manager exists (first start of a demo database without
/// staff) and log them in, so the quick start needs no PIN. `None` when the demo database has
/// other staff whose PINs are not the training PIN (then the login screen shows).
pub async fn demo_login(
    db: &crate::service::StaffDb,
    now: time::OffsetDateTime,
) -> Option<tui::Cashier> {
    use crate::tui::login::{TRAINING_MANAGER, TRAINING_PIN};
    match db
        .ensure_training_manager(TRAINING_MANAGER, TRAINING_PIN, now)
        .await
    {
        Ok(Some(_)) => tracing::info!("demo: training manager created"),
        Ok(None) => {}
        Err(e) => {
            tracing::error!(error = %e, "demo: cannot create the training manager");
            return None;
        }
    }
    match db.login(TRAINING_PIN, now).await {
        Ok(session) => Some(tui::Cashier {
            staff_id: session.staff_id().to_owned(),
            name: session.name().to_owned(),
            role: session.role(),
        }),
        Err(e) => {
            tracing::warn!(error = %e, "demo: automatic login of the training manager refused");
            None
        }
    }
}
