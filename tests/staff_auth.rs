//! Staff and PINs: first run, PIN hashing (hash ≠ PIN, verify, wrong PIN), lockout with
//! back-off, manager-only actions refused for a cashier, and the action journal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kasse::domain::staff::Pin;
use kasse::domain::staff::{FREE_ATTEMPTS, lock_seconds};
use kasse::domain::staff::{HashCost, Permission, Role, StaffError};
use kasse::store::staff::{hash_pin, verify_pin};
use kasse::store::{DB_FILE_NAME, Store};
use time::macros::datetime;

/// The journal on disk; the staff functions run on its connection (`Store::staff`).
fn db() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in_dir(dir.path()).unwrap();
    (store, dir)
}

#[test]
fn pin_hashing_with_production_cost() {
    let pin = Pin::new("80085").unwrap();
    let h = hash_pin(&pin, HashCost::Standard).unwrap();
    assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
    assert!(!h.contains("80085"));
    assert!(verify_pin(&pin, &h));
    assert!(!verify_pin(&Pin::new("80086").unwrap(), &h));
}

#[test]
fn first_run_login_roles_and_journal() {
    let (store, dir) = db();
    let db = store.staff("s1", "t1", HashCost::Fast);
    let t0 = datetime!(2026-11-21 08:00:00 UTC);
    assert!(db.needs_first_manager().unwrap());
    // PIN rules name the field.
    let e = db.create_first_manager("Mona", "12", t0).unwrap_err();
    assert!(e.message().en.starts_with("PIN: must be 4 to 8 digits"));
    let e = db.create_first_manager("", "135790", t0).unwrap_err();
    assert!(e.message().en.starts_with("Name"));
    let m = db.create_first_manager("Mona", "135790", t0).unwrap();
    assert_eq!(m.role(), Role::Manager);
    // Only once.
    assert!(matches!(
        db.create_first_manager("Ola", "9999", t0).unwrap_err(),
        StaffError::Refused(_)
    ));
    // Two staff cannot share a PIN (login is by PIN alone).
    let e = db
        .create_staff(&m, "Kari", "135790", Role::Cashier, t0)
        .unwrap_err();
    assert!(e.message().en.contains("choose another PIN"));
    db.create_staff(&m, "Kari", "2468", Role::Cashier, t0)
        .unwrap();
    let c = db.login("2468", t0).unwrap();
    assert_eq!((c.name(), c.role()), ("Kari", Role::Cashier));
    // A cashier cannot add staff or do manager things.
    assert!(
        db.create_staff(&c, "Per", "1111", Role::Manager, t0)
            .is_err()
    );
    for p in [
        Permission::Refund,
        Permission::VoidAfterAuthorization,
        Permission::PriceOverride,
        Permission::OpenDrawerNoSale,
        Permission::ZReport,
        Permission::LeaveKiosk,
    ] {
        let e = db.authorize(&c, p, None, None, t0).unwrap_err();
        assert!(matches!(e, StaffError::Forbidden(_)), "{p:?}");
        assert!(e.message().nb.contains("krever en leder"));
        db.authorize(&m, p, None, None, t0).unwrap();
    }
    db.authorize(&c, Permission::XReport, None, None, t0)
        .unwrap();
    let staff = db.list_staff().unwrap();
    assert_eq!(staff.len(), 2);

    // The PIN is nowhere in the database file, only its argon2 hash.
    let conn = rusqlite::Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
    let hashes: Vec<String> = conn
        .prepare("SELECT pin_hash FROM staff")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        hashes
            .iter()
            .all(|h| h.starts_with("$argon2id$") && !h.contains("135790") && !h.contains("2468"))
    );
    let dump: String = conn
        .prepare("SELECT coalesce(detail, '') || action FROM staff_actions")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!dump.contains("135790") && !dump.contains("2468"), "{dump}");

    // Journal: who and when, allowed or not.
    let acts = db
        .actions_between(t0, t0 + time::Duration::seconds(1))
        .unwrap();
    assert!(
        acts.iter()
            .any(|a| a.action == "login" && a.staff_id.as_deref() == Some(c.staff_id()))
    );
    assert!(acts.iter().any(|a| a.action == "refund"
        && !a.allowed
        && a.staff_id.as_deref() == Some(c.staff_id())));
    assert!(acts.iter().any(|a| a.action == "leave_kiosk"
        && a.allowed
        && a.staff_id.as_deref() == Some(m.staff_id())));
    assert!(acts.iter().all(|a| a.at == t0));
}

#[test]
fn wrong_pins_lock_the_till_with_backoff() {
    let (store, _dir) = db();
    let db = store.staff("s1", "t1", HashCost::Fast);
    let t0 = datetime!(2026-11-21 08:00:00 UTC);
    db.create_first_manager("Mona", "135790", t0).unwrap();
    let mut now = t0;
    for i in 1..FREE_ATTEMPTS {
        match db.login("0000", now).unwrap_err() {
            StaffError::WrongPin { attempts_left } => assert_eq!(attempts_left, FREE_ATTEMPTS - i),
            e => panic!("{e:?}"),
        }
    }
    // The third wrong PIN locks for 30 s.
    let e = db.login("0000", now).unwrap_err();
    assert!(matches!(e, StaffError::LockedOut { seconds: 30 }), "{e:?}");
    assert!(e.message().en.contains("Wait 30 seconds"));
    // While locked even the right PIN is refused.
    now += time::Duration::seconds(10);
    assert!(matches!(
        db.login("135790", now).unwrap_err(),
        StaffError::LockedOut { seconds: 20 }
    ));
    // After the lock, another wrong PIN doubles it.
    now += time::Duration::seconds(21);
    assert!(matches!(
        db.login("9999", now).unwrap_err(),
        StaffError::LockedOut { seconds: 60 }
    ));
    assert_eq!(lock_seconds(FREE_ATTEMPTS + 1), 60);
    // Then the right PIN works and resets the count.
    now += time::Duration::seconds(61);
    db.login("135790", now).unwrap();
    assert!(matches!(
        db.login("0000", now).unwrap_err(),
        StaffError::WrongPin { attempts_left: 2 }
    ));
    // Malformed input is just a wrong PIN.
    assert!(matches!(
        db.login("12ab", now).unwrap_err(),
        StaffError::WrongPin { attempts_left: 1 }
    ));
}

#[test]
fn new_manager_pins_need_six_digits_and_old_short_ones_still_log_in_with_a_warning() {
    let (store, dir) = db();
    let db = store.staff("s1", "t1", HashCost::Fast);
    let t0 = datetime!(2026-12-04 08:00:00 UTC);
    let e = db.create_first_manager("Mona", "1357", t0).unwrap_err();
    assert!(
        e.message()
            .en
            .starts_with("PIN: a manager's PIN must be 6 to 8 digits"),
        "{e:?}"
    );
    assert!(
        db.needs_first_manager().unwrap(),
        "a refused manager was stored"
    );
    let m = db.create_first_manager("Mona", "135790", t0).unwrap();
    // Cashiers keep 4 digits; a new manager needs 6.
    db.create_staff(&m, "Kari", "2468", Role::Cashier, t0)
        .unwrap();
    let e = db
        .create_staff(&m, "Ola", "4321", Role::Manager, t0)
        .unwrap_err();
    assert!(e.message().en.contains("6 to 8 digits"), "{e:?}");
    db.create_staff(&m, "Ola", "432109", Role::Manager, t0)
        .unwrap();
    assert!(!db.login("432109", t0).unwrap().weak_pin());
    assert!(
        !db.login("2468", t0).unwrap().weak_pin(),
        "cashiers are not warned"
    );
    // A manager whose 4-digit PIN was set before the rule (as an upgraded journal has it).
    let old = hash_pin(&Pin::new("8642").unwrap(), HashCost::Fast).unwrap();
    let c = rusqlite::Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
    c.execute(
        "INSERT INTO staff (id, name, role, pin_hash, active, created_at, created_by)
         VALUES ('st099', 'Gammel', 'manager', ?1, 1, '2026-01-01T00:00:00.000Z', NULL)",
        [old],
    )
    .unwrap();
    let s = db.login("8642", t0).unwrap();
    assert_eq!(s.role(), Role::Manager);
    assert!(s.weak_pin());
    let w = kasse::domain::staff::weak_pin_warning();
    assert!(
        w.en.contains("6–8 digits") && w.nb.contains("6–8 siffer"),
        "{w:?}"
    );
}

#[test]
fn the_pin_lockout_survives_a_restart() {
    let (store, dir) = db();
    let db = store.staff("s1", "t1", HashCost::Fast);
    let t0 = datetime!(2026-12-04 08:00:00 UTC);
    db.create_first_manager("Mona", "135790", t0).unwrap();
    for _ in 0..FREE_ATTEMPTS {
        let _ = db.login("0000", t0);
    }
    assert!(matches!(
        db.login("135790", t0).unwrap_err(),
        StaffError::LockedOut { .. }
    ));
    drop(store);
    // A new process: the store (and so the staff functions) opened again.
    let store = Store::open_in_dir(dir.path()).unwrap();
    let db = store.staff("s1", "t1", HashCost::Fast);
    let e = db
        .login("135790", t0 + time::Duration::seconds(5))
        .unwrap_err();
    assert!(matches!(e, StaffError::LockedOut { seconds: 25 }), "{e:?}");
}

/// A manager deactivated while logged in keeps the session on screen but can no longer do
/// anything that needs a permission: refused (and journaled as refused) at once.
#[test]
fn a_member_deactivated_while_logged_in_is_refused_at_the_next_action() {
    let (store, _dir) = db();
    let db = store.staff("s1", "t1", HashCost::Fast);
    let t0 = datetime!(2026-11-21 08:00:00 UTC);
    let mona = db.create_first_manager("Mona", "135790", t0).unwrap();
    db.create_staff(&mona, "Ola", "246801", Role::Manager, t0)
        .unwrap();
    let ola = db.login("246801", t0).unwrap();
    db.authorize(&mona, Permission::ZReport, None, None, t0)
        .unwrap();
    db.set_staff_active(&ola, "st001", false, "sluttet", t0)
        .unwrap();
    let e = db
        .authorize(&mona, Permission::ZReport, None, None, t0)
        .unwrap_err();
    assert!(matches!(e, StaffError::Refused(_)), "{e:?}");
    assert!(
        e.message().en.contains("st001 has been deactivated"),
        "{e:?}"
    );
    let e = db
        .create_staff(&mona, "Per", "1357", Role::Cashier, t0)
        .unwrap_err();
    assert!(e.message().en.contains("deactivated"), "{e:?}");
    // Ola (active) still can; Mona again once activated.
    db.authorize(&ola, Permission::ZReport, None, None, t0)
        .unwrap();
    db.set_staff_active(&ola, "st001", true, "tilbake", t0)
        .unwrap();
    db.authorize(&mona, Permission::ZReport, None, None, t0)
        .unwrap();
    let refused = db
        .actions_between(t0, t0 + time::Duration::seconds(1))
        .unwrap()
        .iter()
        .filter(|a| !a.allowed)
        .count();
    assert_eq!(refused, 2, "both refusals journaled");
}
