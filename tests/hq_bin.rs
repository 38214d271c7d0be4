#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The real `kasse hq …` commands against a throwaway PostgreSQL: a missing URL names the key
//! (exit 2), `migrate`, `sync` of a till's journal (exit 0, caught up), `status`, `report` in
//! CSV, `verify`, `saft` (one XSD-valid file per shop, 0600, listed at HQ), `catalog import`
//! (a bad file publishes nothing) pulled by `sync` once; the
//! URL's password appears in no output and no log file.

mod common;

use std::process::Command;

use common::pg::Pg;

const BIN: &str = env!("CARGO_BIN_EXE_kasse");

fn run(
    args: &[&str],
    url: Option<&str>,
    cfg: &std::path::Path,
    dir: &std::path::Path,
) -> (i32, String) {
    let mut c = Command::new(BIN);
    c.env_remove("KASSE_HQ_DATABASE_URL")
        .env_remove("KASSE_BASE_URL")
        .env("TZ", "UTC")
        .arg("--config")
        .arg(cfg)
        .arg("--data-dir")
        .arg(dir)
        .args(args);
    if let Some(u) = url {
        c.env("KASSE_HQ_DATABASE_URL", u);
    }
    let o = c.output().unwrap();
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
fn hq_commands_end_to_end_without_showing_the_password() {
    let Some(pg) = Pg::start_or_skip("hq_commands_end_to_end") else {
        return;
    };
    // Trust authentication ignores the password; it is there to prove it is never shown.
    let url = format!(
        "postgres://kasse:pw-sekret-42@127.0.0.1:{}/postgres",
        pg.port()
    );
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("config.toml");
    std::fs::write(&cfg, "[psp]\nmake_payment_listen = \"127.0.0.1:0\"\n").unwrap();
    let data = tmp.path().join("data");

    let (code, out) = run(&["hq", "status"], None, &cfg, &data);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("hq.database_url"), "{out}");

    let (code, out) = run(
        &["hq", "report", "--date", "2026-03-01"],
        Some(&url),
        &cfg,
        &data,
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("hq migrate"),
        "schema missing says what to do: {out}"
    );

    let (code, out) = run(&["hq", "migrate"], Some(&url), &cfg, &data);
    assert_eq!(code, 0, "{out}");
    let v = kasse::hq::migrate::SCHEMA_VERSION;
    assert!(out.contains(&format!("schema_version: {v}\n")), "{out}");

    // A till's journal with two cash sales.
    {
        let mut s = kasse::store::Store::open_in_dir(&data).unwrap();
        for i in 0..2 {
            let mut sale = common::hq::bench_like_sale(i);
            sale.till_id = "t1".into();
            s.record_cash_sale(&sale, 10_000).unwrap();
        }
    }
    let (code, out) = run(&["hq", "sync"], Some(&url), &cfg, &data);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("behind: 0"), "{out}");

    let (code, out) = run(&["hq", "status"], Some(&url), &cfg, &data);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("s1\tt1\t"), "{out}");

    let (code, out) = run(
        &["hq", "report", "--date", "2026-03-01", "--format", "csv"],
        Some(&url),
        &cfg,
        &data,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2026-03-01,till,s1,t1,NOK,2,15000,"), "{out}");
    assert!(out.contains("2026-03-01,chain,,,NOK,2,15000,"), "{out}");

    let (code, out) = run(&["hq", "verify"], Some(&url), &cfg, &data);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok, 2"), "{out}");

    // `hq saft`: the company's org number is needed and named; then one file for the shop.
    let saft = |shop: &str| {
        let out_dir = tmp.path().to_str().unwrap().to_owned();
        let args = [
            "hq",
            "saft",
            "--shop",
            shop,
            "--from",
            "2026-03-01",
            "--to",
            "2026-03-01",
            "--out",
        ];
        let mut a: Vec<&str> = args.to_vec();
        a.push(&out_dir);
        run(&a, Some(&url), &cfg, &data)
    };
    let (code, out) = saft("s1");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("org_number"), "{out}");
    std::fs::write(
        &cfg,
        "[shop]\nname = \"Kiosken AS\"\norg_number = \"999999999\"\n\
         [psp]\nmake_payment_listen = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    let (code, out) = saft("nope");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("--shop"), "{out}");
    let (code, out) = saft("s1");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("shop=s1 transactions=2 "), "{out}");
    let path = out
        .split("path=")
        .nth(1)
        .and_then(|r| r.split(" shop=").next())
        .unwrap();
    let file = std::path::Path::new(path);
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{path}");
    }
    assert!(!file.with_extension("xml.part").exists());
    if let Some(xsd) = common::saft::xsd()
        && let Some(r) = common::saft::xmllint(&xsd, file)
    {
        r.unwrap();
    }
    let listed: i64 = tokio::runtime::Runtime::new().unwrap().block_on(async {
        common::pg::client(&url)
            .await
            .query_one(
                "SELECT count(*) FROM hq_saft_exports WHERE shop_id = 's1'",
                &[],
            )
            .await
            .unwrap()
            .get(0)
    });
    assert_eq!(listed, 1);

    // The password is in no output above and in no log file.
    let logs = data.join("logs");
    for e in std::fs::read_dir(&logs).into_iter().flatten() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap_or_default();
        assert!(
            !text.contains("pw-sekret-42"),
            "a log shows the HQ password"
        );
    }
}

/// `kasse hq catalog import`: a bad file publishes nothing and names line and column (the
/// till's own messages); a good one is pulled by `kasse hq sync`, once.
#[test]
fn hq_catalog_import_then_sync_applies_it_once() {
    let Some(pg) = Pg::start_or_skip("hq_catalog_import_then_sync") else {
        return;
    };
    let url = pg.url();
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("config.toml");
    std::fs::write(&cfg, "[psp]\nmake_payment_listen = \"127.0.0.1:0\"\n").unwrap();
    let data = tmp.path().join("data");
    let (code, out) = run(&["hq", "migrate"], Some(&url), &cfg, &data);
    assert_eq!(code, 0, "{out}");

    let bad = tmp.path().join("bad.csv");
    std::fs::write(&bad, "plu;name;price;vat\n1;Kaffe;35;15\n2;Te;30;14\n").unwrap();
    let b = bad.to_str().unwrap();
    let (code, out) = run(&["hq", "catalog", "import", b], Some(&url), &cfg, &data);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("linje 3") && out.contains("«vat»") && out.contains("«14»"),
        "{out}"
    );
    let good = tmp.path().join("good.csv");
    std::fs::write(&good, "plu;name;price;vat\n1;Kaffe;35;15\n").unwrap();
    let g = good.to_str().unwrap();
    let (code, out) = run(
        &["hq", "catalog", "import", g, "--shop", "s1"],
        Some(&url),
        &cfg,
        &data,
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("catalog_version: 1\n") && out.contains("scope: shop s1"),
        "the bad file took no version: {out}"
    );

    let (code, out) = run(&["hq", "sync"], Some(&url), &cfg, &data);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("catalog_versions: 1") && out.contains("catalog_version: 1 articles: 1"),
        "{out}"
    );
    let (code, out) = run(&["hq", "sync"], Some(&url), &cfg, &data);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("catalog_versions: 0"), "{out}");
    // `kasse hq staff add`: the PIN from KASSE_PIN, only its hash at HQ; `hq sync` takes the
    // member in.
    let o = Command::new(BIN)
        .env("KASSE_HQ_DATABASE_URL", &url)
        .env("KASSE_PIN", "5831")
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(&data)
        .args([
            "hq", "staff", "add", "--shop", "s1", "--name", "Kari", "--role", "cashier",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success() && text.contains("staff_id_at_tills: hq1"),
        "{text}"
    );
    let (code, out) = run(&["hq", "sync"], Some(&url), &cfg, &data);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("staff_arrived: 1"), "{out}");
    let s = kasse::store::Store::open_in_dir(&data).unwrap();
    let kaffe = s.catalog_articles().unwrap();
    assert_eq!(kaffe.len(), 1);
    assert_eq!(kaffe[0].price, 3500);
}
