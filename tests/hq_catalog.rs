#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Issue #17 item 3: the catalogue from headquarters. HQ publishes a CSV (checked by the till's
//! own import code) as a version; every till of the shop pulls it through the till's own
//! catalogue path, journaling each price change (13021, old and new price) at the till; a
//! version is applied once (also after a restart); a bad file publishes nothing; a till offline
//! at publish catches up; a shop's version stays in that shop.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::pg::{Pg, client};
use kasse::app::catalog::Catalog;
use kasse::app::catalog_store::{read_import, sync_at_start};
use kasse::clock::SystemClock;
use kasse::hq::catalog::publish;
use kasse::hq::worker::Replicator;
use kasse::store::{AsyncStore, Store};
use secrecy::SecretString;

fn pool(url: &str) -> kasse::hq::Pool {
    kasse::hq::pool(&SecretString::from(url.to_owned())).unwrap()
}

/// A till without a screen: its journal (seeded with the demo catalogue, as at start) and its
/// HQ worker.
struct Till {
    shop: String,
    till: String,
    dir: tempfile::TempDir,
    store: AsyncStore,
}

impl Till {
    async fn new(shop: &str, till: &str) -> Till {
        let dir = tempfile::tempdir().unwrap();
        Till::open(shop, till, dir).await
    }

    async fn open(shop: &str, till: &str, dir: tempfile::TempDir) -> Till {
        let store = AsyncStore::new(Store::open_in_dir(dir.path()).unwrap()).unwrap();
        sync_at_start(
            &store,
            Catalog::demo().unwrap(),
            shop,
            till,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
        Till {
            shop: shop.into(),
            till: till.into(),
            dir,
            store,
        }
    }

    fn worker(&self, url: &str) -> Replicator {
        Replicator::new(
            self.store.clone(),
            pool(url),
            Arc::new(SystemClock),
            self.shop.clone(),
            self.till.clone(),
            50,
        )
    }

    /// Pull and answer how many versions were applied.
    async fn pull(&self, url: &str) -> usize {
        let applied = self.worker(url).pull_catalog().await.unwrap();
        assert!(applied.iter().all(|a| a.refused.is_none()), "{applied:?}");
        applied.len()
    }

    /// The 13021 events' texts.
    async fn price_events(&self) -> Vec<String> {
        self.store
            .run(|s| s.fiscal_events())
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.code == "13021")
            .map(|e| e.detail)
            .collect()
    }

    async fn price_of(&self, plu: &str) -> Option<i64> {
        let plu = plu.to_string();
        self.store
            .run(move |s| s.catalog_articles())
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.plu == plu)
            .map(|a| a.price)
    }
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// What `kasse hq catalog import` does: the till's checks, then one version at HQ.
async fn hq_import(url: &str, file: &Path, shop: Option<&str>) -> Result<i64, String> {
    let (_, rows) = read_import(file).map_err(|t| t.en)?;
    let articles: Vec<_> = rows.into_iter().map(|(_, a)| a).collect();
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    Ok(publish(&pool(url), shop, &name, &articles).await.unwrap())
}

async fn versions_at_hq(url: &str) -> i64 {
    client(url)
        .await
        .query_one("SELECT count(*) FROM hq_catalog_versions", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hq_import_reaches_every_till_once_and_journals_price_changes_there() {
    let Some(pg) = Pg::start_or_skip("hq_catalog_reaches_every_till") else {
        return;
    };
    let url = pg.url();
    common::hq::migrated(&url).await;
    let files = tempfile::tempdir().unwrap();
    let (t1, t2) = (Till::new("s1", "t1").await, Till::new("s1", "t2").await);

    assert_eq!(t1.price_of("1002").await, Some(3290));
    let csv = write(
        files.path(),
        "prices.csv",
        "plu;ean;name;price;vat;group\n1002;7038010001017;Coca-Cola 0,5 l;34,90;15;04011\n9001;;Kanelbolle;29,00;15;04006\n",
    );
    let v = hq_import(&url, &csv, None).await.unwrap();
    assert_eq!(versions_at_hq(&url).await, 1);

    for t in [&t1, &t2] {
        assert_eq!(t.pull(&url).await, 1, "{}", t.till);
        assert_eq!(t.price_of("1002").await, Some(3490));
        assert_eq!(t.price_of("9001").await, Some(2900));
        let ev = t.price_events().await;
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert!(
            ev[0].contains("PLU 1002")
                && ev[0].contains("old price 32.90 NOK")
                && ev[0].contains("new price 34.90 NOK")
                && ev[0].contains(&format!("HQ catalogue version {v}")),
            "{}",
            ev[0]
        );
        let applied = t.store.run(|s| s.hq_catalog_last_applied()).await.unwrap();
        assert_eq!(applied, v);
    }

    // A second sync applies nothing again; nor does a restarted till.
    assert_eq!(t1.pull(&url).await, 0);
    let Till { dir, store, .. } = t2;
    drop(store);
    let t2 = Till::open("s1", "t2", dir).await;
    assert_eq!(t2.pull(&url).await, 0);
    assert_eq!(t2.price_events().await.len(), 1);
    assert_eq!(
        t2.price_of("1002").await,
        Some(3490),
        "the HQ price survives the restart"
    );

    // A till of the shop that was off while HQ published catches up when it comes on, then a
    // later version (for this shop only) moves the price again at every till.
    let t3 = Till::new("s1", "t3").await;
    assert_eq!(t3.pull(&url).await, 1);
    assert_eq!(t3.price_of("1002").await, Some(3490));
    let csv2 = write(
        files.path(),
        "prices2.csv",
        "plu;name;price;vat\n1002;Coca-Cola 0,5 l;35,90;15\n",
    );
    let v2 = hq_import(&url, &csv2, Some("s1")).await.unwrap();
    assert!(v2 > v);
    for t in [&t1, &t2, &t3] {
        assert_eq!(t.pull(&url).await, 1);
        assert_eq!(t.price_of("1002").await, Some(3590));
        let ev = t.price_events().await;
        assert!(
            ev.last().unwrap().contains("old price 34.90 NOK")
                && ev.last().unwrap().contains("new price 35.90 NOK"),
            "{ev:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_csv_publishes_nothing_and_a_shops_version_stays_in_that_shop() {
    let Some(pg) = Pg::start_or_skip("hq_catalog_bad_csv") else {
        return;
    };
    let url = pg.url();
    common::hq::migrated(&url).await;
    let files = tempfile::tempdir().unwrap();
    let bad = write(
        files.path(),
        "bad.csv",
        "plu;name;price;vat\n1002;Cola;34,90;15\n1003;Solo;abc;15\n",
    );
    let err = hq_import(&url, &bad, None).await.unwrap_err();
    assert!(
        err.contains("line 3")
            && err.contains("\"price\"")
            && err.contains("\"abc\"")
            && err.contains("Nothing was imported"),
        "{err}"
    );
    assert_eq!(versions_at_hq(&url).await, 0, "nothing published");

    let csv = write(
        files.path(),
        "s2.csv",
        "plu;name;price;vat\n1002;Coca-Cola 0,5 l;30,00;15\n",
    );
    hq_import(&url, &csv, Some("s2")).await.unwrap();
    let (a, b) = (Till::new("s1", "t1").await, Till::new("s2", "t1").await);
    assert_eq!(a.pull(&url).await, 0);
    assert_eq!(a.price_of("1002").await, Some(3290));
    assert!(a.price_events().await.is_empty());
    assert_eq!(b.pull(&url).await, 1);
    assert_eq!(b.price_of("1002").await, Some(3000));

    // HQ cannot change a published version: corrections are new versions.
    let e = client(&url)
        .await
        .execute("UPDATE hq_catalog_versions SET rows = 2", &[])
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("append-only") || format!("{e:?}").contains("append-only"),
        "{e:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_worker_pulls_the_catalogue_and_a_clash_is_refused_not_applied() {
    let Some(pg) = Pg::start_or_skip("hq_catalog_worker") else {
        return;
    };
    let url = pg.url();
    common::hq::migrated(&url).await;
    let files = tempfile::tempdir().unwrap();
    let t = Till::new("s1", "t1").await;
    // EAN 7038010001017 belongs to PLU 1002 at the till: a new PLU with it clashes.
    let clash = write(
        files.path(),
        "clash.csv",
        "plu;ean;name;price;vat\n7777;7038010001017;Brus;10;15\n",
    );
    let v = hq_import(&url, &clash, None).await.unwrap();
    let r = t.worker(&url).pull_catalog().await.unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].version, v);
    let problem = r[0].refused.clone().expect("refused");
    assert!(problem.en.contains("7038010001017"), "{}", problem.en);
    assert_eq!(t.price_of("7777").await, None, "nothing of it applied");
    let ev = t.store.run(|s| s.fiscal_events()).await.unwrap();
    let last = ev.last().unwrap();
    assert!(
        last.code == "13999" && last.detail.contains("not applied"),
        "{last:?}"
    );
    // Refused once, for good: the next pull does not try again.
    assert!(t.worker(&url).pull_catalog().await.unwrap().is_empty());

    // The running till's worker applies a later good version by itself (the refused one
    // before it does not block it).
    let fresh = Till::new("s2", "t9").await;
    let csv = write(
        files.path(),
        "p.csv",
        "plu;name;price;vat\n1002;Coca-Cola 0,5 l;31,00;15\n",
    );
    let version = hq_import(&url, &csv, Some("s2")).await.unwrap();
    let (applied_tx, mut applied_rx) = tokio::sync::mpsc::unbounded_channel();
    let (task, _) = fresh
        .worker(&url)
        .notify_catalog(applied_tx)
        .spawn(std::time::Duration::from_millis(100));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while fresh.price_of("1002").await != Some(3100) {
        assert!(
            std::time::Instant::now() < deadline,
            "the worker never pulled"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The running till is told which version it applied (and reloads its catalogue from it;
    // the refused version is not among them).
    let told = tokio::time::timeout(std::time::Duration::from_secs(10), applied_rx.recv())
        .await
        .expect("told within 10 s")
        .expect("the worker is running");
    assert_eq!(told, vec![version]);
    task.abort();
}

/// Staff from HQ: the PIN is hashed before it is sent; both tills of the shop take the member
/// in (once, journaled as from HQ) and they log in there; another shop's till does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_added_at_hq_log_in_at_their_shops_tills_only_and_the_pin_stays_out_of_hq() {
    use kasse::domain::staff::{HashCost, Pin, Role};
    let Some(pg) = Pg::start_or_skip("hq_staff") else {
        return;
    };
    let url = pg.url();
    common::hq::migrated(&url).await;
    const PIN: &str = "482915";
    let id = kasse::hq::staff::add(
        &pool(&url),
        "s1",
        "Kari Nordmann",
        Role::Cashier,
        &Pin::new(PIN).unwrap(),
        PIN.len(),
        HashCost::Fast,
    )
    .await
    .unwrap();
    // The same PIN again in the shop is refused (login is by PIN alone).
    assert!(matches!(
        kasse::hq::staff::add(
            &pool(&url),
            "s1",
            "Ola",
            Role::Cashier,
            &Pin::new(PIN).unwrap(),
            PIN.len(),
            HashCost::Fast,
        )
        .await,
        Err(kasse::hq::staff::AddError::Refused(_))
    ));
    let (t1, t2, other) = (
        Till::new("s1", "t1").await,
        Till::new("s1", "t2").await,
        Till::new("s2", "t1").await,
    );
    let now = time::OffsetDateTime::now_utc();
    for t in [&t1, &t2] {
        let arrived = t.worker(&url).pull_staff().await.unwrap();
        assert_eq!(arrived.len(), 1);
        assert_eq!(arrived[0].staff_id, format!("hq{id}"));
        assert!(
            t.worker(&url).pull_staff().await.unwrap().is_empty(),
            "once"
        );
        let (shop, till) = (t.shop.clone(), t.till.clone());
        let who = t
            .store
            .run(move |s| {
                let st = s.staff(&shop, &till, HashCost::Fast);
                let acts = st.actions_between(
                    now - time::Duration::hours(1),
                    now + time::Duration::hours(1),
                );
                Ok((
                    st.login(PIN, now).map(|x| x.staff_id().to_string()),
                    acts.map(|a| format!("{a:?}")),
                ))
            })
            .await
            .unwrap();
        assert_eq!(who.0.unwrap(), format!("hq{id}"));
        let acts = who.1.unwrap();
        assert!(
            acts.contains("staff_created") && acts.contains("from HQ"),
            "{acts}"
        );
    }
    assert!(other.worker(&url).pull_staff().await.unwrap().is_empty());
    let login = other
        .store
        .run(move |s| Ok(s.staff("s2", "t1", HashCost::Fast).login(PIN, now).is_ok()))
        .await
        .unwrap();
    assert!(!login, "another shop's till does not know them");

    // The PIN is in no row of any HQ table.
    let c = client(&url).await;
    let tables: Vec<String> = c
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(tables.contains(&"hq_staff".to_string()));
    for t in tables {
        let n: i64 = c
            .query_one(
                &format!("SELECT count(*) FROM {t} x WHERE x::text LIKE '%' || $1 || '%'"),
                &[&PIN],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 0, "the PIN is in {t}");
    }
    let hash: String = c
        .query_one("SELECT pin_hash FROM hq_staff", &[])
        .await
        .unwrap()
        .get(0);
    assert!(hash.starts_with("$argon2id$"));
}

/// Staff changes from HQ: a member deactivated at HQ can no longer log in at any till of the
/// shop (journaled there with the reason), activated again they can; a new PIN from HQ
/// replaces the old one at every till. A PIN an HQ member shares with a member created at the
/// till (HQ cannot see the till's PINs) is refused at login, naming both, until HQ gives its
/// member a new PIN.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hq_staff_changes_reach_every_till_and_a_shared_pin_is_refused_at_login() {
    use kasse::domain::staff::{HashCost, Pin, Role, StaffError};
    use kasse::hq::staff::{AddError, Change, add, change};
    let Some(pg) = Pg::start_or_skip("hq_staff_changes") else {
        return;
    };
    let url = pg.url();
    common::hq::migrated(&url).await;
    let p = pool(&url);
    let now = time::OffsetDateTime::now_utc();
    let pin = |s: &str| Pin::new(s).unwrap();
    let (t1, t2) = (Till::new("s1", "t1").await, Till::new("s1", "t2").await);
    // t1 has its own manager with PIN 135791 before HQ adds Ola with the same PIN.
    t1.store
        .run(move |s| {
            Ok(s.staff("s1", "t1", HashCost::Fast)
                .create_first_manager("Mona", "135791", now)
                .map(|_| ()))
        })
        .await
        .unwrap()
        .unwrap();
    let kari = add(
        &p,
        "s1",
        "Kari",
        Role::Cashier,
        &pin("482915"),
        6,
        HashCost::Fast,
    )
    .await
    .unwrap_or_else(|e| panic!("add: {e:?}"));
    let ola = add(
        &p,
        "s1",
        "Ola",
        Role::Cashier,
        &pin("135791"),
        6,
        HashCost::Fast,
    )
    .await
    .unwrap_or_else(|e| panic!("add: {e:?}"));
    let login = |t: &Till, code: &'static str| {
        let (shop, till) = (t.shop.clone(), t.till.clone());
        let store = t.store.clone();
        async move {
            store
                .run(move |s| {
                    Ok(s.staff(&shop, &till, HashCost::Fast)
                        .login(code, time::OffsetDateTime::now_utc())
                        .map(|x| x.staff_id().to_string()))
                })
                .await
                .unwrap()
        }
    };
    let sync = |t: &Till| {
        let w = t.worker(&url);
        async move {
            w.pull_staff().await.unwrap();
            w.pull_staff_changes().await.unwrap().len()
        }
    };
    for t in [&t1, &t2] {
        assert_eq!(sync(t).await, 0);
        assert_eq!(login(t, "482915").await.unwrap(), format!("hq{kari}"));
    }
    // Ola's PIN is also t1's Mona's: refused at t1, naming both; fine at t2.
    match login(&t1, "135791").await {
        Err(StaffError::Refused(t)) => {
            assert!(
                t.en.contains(&format!("hq{ola}")) && t.en.contains("st001"),
                "{}",
                t.en
            );
            assert!(t.en.contains("kasse hq staff pin"), "{}", t.en);
        }
        other => panic!("a shared PIN must be refused: {other:?}"),
    }
    assert_eq!(login(&t2, "135791").await.unwrap(), format!("hq{ola}"));

    // Kari leaves: deactivated once at HQ, at every till after their next sync.
    let c = change(
        &p,
        "s1",
        kari,
        &Change::Deactivate,
        "sluttet",
        HashCost::Fast,
    )
    .await
    .unwrap_or_else(|_| panic!("deactivate"));
    assert!(c > 0);
    assert!(matches!(
        change(&p, "s1", kari, &Change::Deactivate, "igjen", HashCost::Fast).await,
        Err(AddError::Refused(_))
    ));
    for t in [&t1, &t2] {
        assert_eq!(sync(t).await, 1);
        assert_eq!(sync(t).await, 0, "applied once");
        assert!(
            matches!(login(t, "482915").await, Err(StaffError::WrongPin { .. })),
            "a deactivated member cannot log in"
        );
        let acts = t
            .store
            .run(move |s| {
                Ok(s.staff("s1", "t1", HashCost::Fast)
                    .actions_between(
                        now - time::Duration::hours(1),
                        now + time::Duration::hours(1),
                    )
                    .map(|a| format!("{a:?}")))
            })
            .await
            .unwrap()
            .unwrap();
        assert!(
            acts.contains("staff_deactivated") && acts.contains("sluttet"),
            "{acts}"
        );
    }
    // Ola gets a new PIN from HQ: t1 tells Mona and Ola apart again.
    change(
        &p,
        "s1",
        ola,
        &Change::Pin(pin("246813"), 6),
        "ny PIN",
        HashCost::Fast,
    )
    .await
    .unwrap_or_else(|_| panic!("pin"));
    // A PIN another HQ member has (Kari's, even deactivated) is refused.
    assert!(matches!(
        change(
            &p,
            "s1",
            ola,
            &Change::Pin(pin("482915"), 6),
            "x",
            HashCost::Fast
        )
        .await,
        Err(AddError::Refused(_))
    ));
    assert_eq!(sync(&t1).await, 1);
    assert_eq!(login(&t1, "135791").await.unwrap(), "st001");
    assert_eq!(login(&t1, "246813").await.unwrap(), format!("hq{ola}"));
    // Kari is back.
    change(&p, "s1", kari, &Change::Activate, "tilbake", HashCost::Fast)
        .await
        .unwrap_or_else(|_| panic!("activate"));
    assert_eq!(sync(&t2).await, 2, "t2 applies Ola's PIN and Kari's return");
    assert_eq!(login(&t2, "482915").await.unwrap(), format!("hq{kari}"));
    // A member HQ does not have in that shop is named.
    match change(&p, "s2", kari, &Change::Deactivate, "x", HashCost::Fast).await {
        Err(AddError::Refused(t)) => assert!(t.en.contains("--id"), "{}", t.en),
        _ => panic!("another shop's member"),
    }
}
