#![allow(clippy::unwrap_used, clippy::expect_used)]
//! TLS to HQ's PostgreSQL against a REAL server with `ssl = on` (a CA and a server certificate
//! for 127.0.0.1 / localhost made here with rcgen): `sslmode=require` + `[hq] ca_file` migrates
//! over an encrypted session (pg_stat_ssl); a till replicates over TLS through its config
//! (`ca_file`, `for_till`); a different CA, or the system's roots, are refused with a
//! certificate error and nothing is written; `sslmode=prefer` never falls back to plain after a
//! refused certificate; `sslmode=require` against a server without TLS is a clear error; the
//! `kasse hq` commands take `KASSE_HQ_CA_FILE`; a bad `ca_file` or `sslmode` is named; the URL's
//! password appears in no message.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use common::hq::{WAIT, hq_streams, till};
use common::pg::{Pg, PgTls, client};
use kasse::clock::SystemClock;
use kasse::hq::HqError;
use secrecy::SecretString;

/// Trust authentication ignores it: it is there to prove it is never shown.
const PASSWORD: &str = "tls-pw-hemmelig-77";

/// A CA and a server certificate it signed, for 127.0.0.1 and localhost.
struct TestCa {
    ca_pem: String,
    server: PgTls,
}

fn make_ca(name: &str) -> TestCa {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, format!("{name} test CA"));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let mut server =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    server
        .distinguished_name
        .push(DnType::CommonName, "kasse HQ test server");
    let server_key = KeyPair::generate().unwrap();
    let server_cert = server.signed_by(&server_key, &issuer).unwrap();
    TestCa {
        ca_pem: ca_cert.pem(),
        server: PgTls {
            cert_pem: server_cert.pem(),
            key_pem: server_key.serialize_pem(),
        },
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// `postgres://kasse:PASSWORD@host:port/db?sslmode=mode`.
fn url(pg: &Pg, host: &str, db: &str, mode: &str) -> String {
    format!(
        "postgres://kasse:{PASSWORD}@{host}:{}/{db}?sslmode={mode}",
        pg.port()
    )
}

fn pool(url: &str, ca: Option<&Path>) -> kasse::hq::Pool {
    kasse::hq::pool_with(&SecretString::from(url.to_owned()), ca).unwrap()
}

/// Whether the pool's own session is encrypted, and its TLS version.
async fn session_ssl(p: &kasse::hq::Pool) -> (bool, Option<String>) {
    let c = p.get().await.unwrap();
    let r = c
        .query_one(
            "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    (r.get(0), r.get(1))
}

/// A plain (unencrypted, `sslmode=disable`) look at HQ for the checks.
async fn plain(pg: &Pg, db: &str) -> tokio_postgres::Client {
    client(&format!("{}?sslmode=disable", pg.url_of(db))).await
}

async fn table_exists(pg: &Pg, db: &str, table: &str) -> bool {
    plain(pg, db)
        .await
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
        .await
        .unwrap()
        .get(0)
}

fn assert_certificate_refused(e: &HqError) {
    assert!(matches!(e, HqError::Tls(_)), "not a TLS error: {e:?}");
    let t = e.text();
    for s in [&t.nb, &t.en] {
        assert!(
            s.contains("UnknownIssuer"),
            "names the certificate error: {s}"
        );
        assert!(s.contains("hq.ca_file"), "says what to check: {s}");
        assert!(!s.contains(PASSWORD), "shows the password: {s}");
    }
    assert!(t.en.contains("invalid peer certificate"), "{}", t.en);
    assert!(!format!("{e:?}").contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_with_the_ca_file_migrates_over_an_encrypted_session() {
    let ca = make_ca("kasse");
    let Some(pg) = Pg::start_tls_or_skip("require_with_the_ca_file_migrates", &ca.server) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ca_file = write(dir.path(), "hq-ca.pem", &ca.ca_pem);
    let p = pool(
        &url(&pg, "127.0.0.1", "postgres", "require"),
        Some(&ca_file),
    );
    let v = kasse::hq::migrate::SCHEMA_VERSION;
    assert_eq!(kasse::hq::migrate::migrate(&p).await.unwrap(), (0, v));
    let (ssl, version) = session_ssl(&p).await;
    assert!(ssl, "the session is not encrypted");
    assert!(
        version.as_deref().is_some_and(|v| v.starts_with("TLSv1.")),
        "{version:?}"
    );
    assert!(table_exists(&pg, "postgres", "hq_schema_version").await);

    // The default sslmode (prefer) uses TLS too when the server offers it, by host name as well.
    let p = pool(
        &format!(
            "postgres://kasse:{PASSWORD}@localhost:{}/postgres",
            pg.port()
        ),
        Some(&ca_file),
    );
    kasse::hq::migrate::check(&p).await.unwrap();
    assert!(
        session_ssl(&p).await.0,
        "prefer did not use the offered TLS"
    );

    // sslmode=disable stays plain (a local trial), even with a CA file.
    let p = pool(
        &url(&pg, "127.0.0.1", "postgres", "disable"),
        Some(&ca_file),
    );
    assert!(!session_ssl(&p).await.0, "disable used TLS");
}

/// Password authentication (SCRAM) over TLS, with channel binding required: the pool's TLS
/// stream hands tokio-postgres the server certificate's hash (tls-server-end-point).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scram_with_channel_binding_over_tls() {
    let ca = make_ca("kasse");
    let Some(pg) = Pg::start_tls_or_skip("scram_with_channel_binding_over_tls", &ca.server) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ca_file = write(dir.path(), "hq-ca.pem", &ca.ca_pem);
    plain(&pg, "postgres")
        .await
        .batch_execute(&format!(
            "SET password_encryption = 'scram-sha-256'; ALTER ROLE kasse PASSWORD '{PASSWORD}'"
        ))
        .await
        .unwrap();
    // TLS sessions need the password; plain ones (the test's own checks) stay trusted.
    pg.set_hba(
        "local all all trust\n\
         hostssl all all 127.0.0.1/32 scram-sha-256\n\
         hostnossl all all 127.0.0.1/32 trust\n",
    );
    let p = pool(
        &format!(
            "{}&channel_binding=require",
            url(&pg, "127.0.0.1", "postgres", "require")
        ),
        Some(&ca_file),
    );
    kasse::hq::migrate::migrate(&p).await.unwrap();
    assert!(session_ssl(&p).await.0);
    let method: String = plain(&pg, "postgres")
        .await
        .query_one(
            "SELECT auth_method FROM pg_hba_file_rules WHERE 'hostssl' = type",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(method, "scram-sha-256");

    // A wrong password is refused, and the message shows neither password.
    let wrong = url(&pg, "127.0.0.1", "postgres", "require").replace(PASSWORD, "feil-passord-1");
    let e = kasse::hq::migrate::check(&pool(&wrong, Some(&ca_file)))
        .await
        .unwrap_err();
    let t = e.text();
    assert!(
        t.en.contains("password authentication failed for user"),
        "{e:?}"
    );
    for s in [&t.nb, &t.en, &format!("{e:?}")] {
        assert!(
            !s.contains("feil-passord-1") && !s.contains(PASSWORD),
            "{s}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_till_replicates_over_tls_through_its_config() {
    let ca = make_ca("kasse");
    let Some(pg) = Pg::start_tls_or_skip("a_till_replicates_over_tls", &ca.server) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ca_file = write(dir.path(), "hq-ca.pem", &ca.ca_pem);
    let hq_url = url(&pg, "localhost", "postgres", "require");
    kasse::hq::migrate::migrate(&pool(&hq_url, Some(&ca_file)))
        .await
        .unwrap();

    let sim = common::staff::start_sim().await;
    let t = till(&sim, "s1", "t1").await;
    t.cash_sale(50).await;
    t.cash_sale(70).await;
    assert!(t.behind().await > 0);

    // The till's replicator as `kasse` makes it: from the config's [hq] section.
    let toml = format!(
        "[shop]\nshop_id = \"s1\"\ntill_id = \"t1\"\n[hq]\ndatabase_url = \"{hq_url}\"\nca_file = \"{}\"\n",
        ca_file.display()
    );
    let cfg = kasse::config::Config::from_toml_str(&toml, &|_| None).unwrap();
    let rep = kasse::hq::worker::for_till(&cfg, t.store.clone(), Arc::new(SystemClock))
        .unwrap()
        .expect("[hq] is configured");
    let sent = rep.sync(WAIT).await.unwrap();
    assert!(sent > 0);
    assert_eq!(t.behind().await, 0);
    let streams = hq_streams(&format!("{}?sslmode=disable", pg.url())).await;
    assert_eq!(streams.len(), 1, "{streams:?}");
    let (_, count, max) = &streams[0];
    assert_eq!(count, max, "0 gaps, 0 duplicates");
    assert_eq!(*count, i64::try_from(sent).unwrap());

    // Every kasse session HQ sees is encrypted.
    let c = plain(&pg, "postgres").await;
    let (all, encrypted): (i64, i64) = {
        let r = c
            .query_one(
                "SELECT count(*), count(*) FILTER (WHERE s.ssl) FROM pg_stat_activity a \
                 JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = 'kasse'",
                &[],
            )
            .await
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert!(all > 0, "no kasse session open");
    assert_eq!(all, encrypted, "a kasse session is not encrypted");
    drop(rep);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_different_ca_is_refused_and_nothing_is_written() {
    let ca = make_ca("kasse");
    let other = make_ca("someone else");
    let Some(pg) = Pg::start_tls_or_skip("a_different_ca_is_refused", &ca.server) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "hq-ca.pem", &ca.ca_pem);
    let wrong = write(dir.path(), "other-ca.pem", &other.ca_pem);

    // migrate on a fresh database: refused before a single statement.
    pg.fresh_db("refused").await;
    let e = kasse::hq::migrate::migrate(&pool(
        &url(&pg, "127.0.0.1", "refused", "require"),
        Some(&wrong),
    ))
    .await
    .unwrap_err();
    assert_certificate_refused(&e);
    assert!(!table_exists(&pg, "refused", "hq_schema_version").await);

    // The system's roots do not know the shop's CA either (no ca_file: still verified).
    let e = kasse::hq::migrate::migrate(&pool(&url(&pg, "127.0.0.1", "refused", "require"), None))
        .await
        .unwrap_err();
    assert!(matches!(e, HqError::Tls(_)), "{e:?}");
    let en = e.text().en;
    assert!(
        en.contains("invalid peer certificate: UnknownIssuer")
            // A machine without CA certificates (no ca-certificates package) says so.
            || en.contains("no system CA certificates"),
        "{en}"
    );
    // prefer does not fall back to plain after a refused certificate.
    let e = kasse::hq::migrate::migrate(&pool(
        &url(&pg, "127.0.0.1", "refused", "prefer"),
        Some(&wrong),
    ))
    .await
    .unwrap_err();
    assert_certificate_refused(&e);
    assert!(!table_exists(&pg, "refused", "hq_schema_version").await);

    // A till's push: refused, nothing at HQ, the till still owes every row.
    kasse::hq::migrate::migrate(&pool(
        &url(&pg, "127.0.0.1", "postgres", "require"),
        Some(&good),
    ))
    .await
    .unwrap();
    let sim = common::staff::start_sim().await;
    let t = till(&sim, "s1", "t1").await;
    t.cash_sale(40).await;
    let owed = t.behind().await;
    assert!(owed > 0);
    let rep = kasse::hq::worker::Replicator::new(
        t.store.clone(),
        pool(&url(&pg, "127.0.0.1", "postgres", "require"), Some(&wrong)),
        Arc::new(SystemClock),
        "s1",
        "t1",
        500,
    );
    let e = rep.sync(WAIT).await.unwrap_err();
    assert_certificate_refused(&e);
    assert_eq!(
        t.behind().await,
        owed,
        "rows acknowledged that HQ never got"
    );
    let rows: i64 = plain(&pg, "postgres")
        .await
        .query_one("SELECT count(*) FROM hq_feed", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 0, "written over a refused connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_against_a_server_without_tls_is_a_clear_error() {
    let Some(pg) = Pg::start_or_skip("require_against_a_server_without_tls") else {
        return;
    };
    let ca = make_ca("kasse");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = write(dir.path(), "hq-ca.pem", &ca.ca_pem);
    let e = kasse::hq::migrate::migrate(&pool(
        &url(&pg, "127.0.0.1", "postgres", "require"),
        Some(&ca_file),
    ))
    .await
    .unwrap_err();
    assert!(matches!(e, HqError::Tls(_)), "{e:?}");
    let t = e.text();
    assert!(t.en.contains("server does not support TLS"), "{}", t.en);
    assert!(t.en.contains("sslmode"), "{}", t.en);
    assert!(t.nb.contains("TLS") && t.nb.contains("sslmode"), "{}", t.nb);
    assert!(!t.en.contains(PASSWORD) && !t.nb.contains(PASSWORD));
    assert!(!table_exists(&pg, "postgres", "hq_schema_version").await);
    // prefer (the default) against it: plain, as before.
    let p = pool(&url(&pg, "127.0.0.1", "postgres", "prefer"), None);
    kasse::hq::migrate::migrate(&p).await.unwrap();
    assert!(!session_ssl(&p).await.0);
}

#[test]
fn a_bad_sslmode_or_ca_file_is_named_before_connecting() {
    let u = |mode: &str| {
        SecretString::from(format!(
            "postgres://kasse:{PASSWORD}@127.0.0.1:1/db?sslmode={mode}"
        ))
    };
    // libpq's verify-full is what require does here; the message says so.
    let e = kasse::hq::pool_with(&u("verify-full"), None).unwrap_err();
    assert!(matches!(e, HqError::BadSslMode), "{e:?}");
    assert!(e.text().en.contains("verify-full"), "{}", e.text().en);
    assert!(!e.text().en.contains(PASSWORD));
    let e =
        kasse::hq::pool_with(&u("require"), Some(Path::new("/nonexistent/hq-ca.pem"))).unwrap_err();
    assert!(matches!(e, HqError::CaFile { .. }), "{e:?}");
    let t = e.text();
    assert!(
        t.nb.contains("hq.ca_file") && t.nb.contains("/nonexistent/hq-ca.pem"),
        "{}",
        t.nb
    );
    assert!(
        t.en.contains("hq.ca_file") && t.en.contains("cannot be read"),
        "{}",
        t.en
    );
    // Nothing connects while building the pool: port 1 is never tried.
    kasse::hq::pool_with(&u("require"), None).unwrap();
}

const BIN: &str = env!("CARGO_BIN_EXE_kasse");

fn kasse_hq(args: &[&str], url: &str, ca: &Path, dir: &Path) -> (i32, String) {
    let cfg = dir.join("config.toml");
    std::fs::write(&cfg, "[psp]\nmake_payment_listen = \"127.0.0.1:0\"\n").unwrap();
    let o = Command::new(BIN)
        .env_remove("KASSE_BASE_URL")
        .env("KASSE_HQ_DATABASE_URL", url)
        .env("KASSE_HQ_CA_FILE", ca)
        .env("TZ", "UTC")
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[test]
fn kasse_hq_takes_the_ca_file_from_the_environment() {
    let ca = make_ca("kasse");
    let other = make_ca("someone else");
    let Some(pg) = Pg::start_tls_or_skip("kasse_hq_takes_the_ca_file", &ca.server) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "hq-ca.pem", &ca.ca_pem);
    let wrong = write(dir.path(), "other-ca.pem", &other.ca_pem);
    let hq_url = url(&pg, "127.0.0.1", "postgres", "require");

    let (code, out) = kasse_hq(&["hq", "migrate"], &hq_url, &wrong, dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("TLS") && out.contains("UnknownIssuer"),
        "{out}"
    );
    assert!(!out.contains(PASSWORD), "{out}");

    let (code, out) = kasse_hq(
        &["hq", "migrate"],
        &hq_url,
        &dir.path().join("missing.pem"),
        dir.path(),
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("hq.ca_file") && out.contains("missing.pem"),
        "{out}"
    );

    let (code, out) = kasse_hq(&["hq", "migrate"], &hq_url, &good, dir.path());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("schema_version: "), "{out}");
    assert!(!out.contains(PASSWORD), "{out}");
    let (code, out) = kasse_hq(&["hq", "status"], &hq_url, &good, dir.path());
    assert_eq!(code, 0, "{out}");
}
