#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Config: the example file loads, env overrides, bad and unknown keys are quoted, secrets
//! never show in Debug.

use kasse::config::{ApiChoice, Config, ConfigError, Environment};
use std::collections::HashMap;
use std::path::PathBuf;

fn example_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config.example.toml")
}

fn example() -> String {
    std::fs::read_to_string(example_path()).unwrap()
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k: &str| m.get(k).cloned()
}

#[test]
fn example_file_loads() {
    let c = Config::from_toml_str(&example(), &env_of(&[])).unwrap();
    assert_eq!(c.vipps.environment, Environment::Sim);
    assert_eq!(c.vipps.msn, "123456");
    assert_eq!(c.vipps.api, ApiChoice::Epayment);
    assert_eq!(c.shop.shop_id, "s1");
    assert_eq!(c.shop.till_id, "t1");
    assert_eq!(c.psp.make_payment_listen, "127.0.0.1:8099");
    assert!(c.receipt.barcode);
    assert_eq!(c.shop.address, vec!["Storgata 1", "0155 Oslo"]);
    assert_eq!(c.receipt.paper_width, kasse::receipt::PaperWidth::Mm80);
    assert_eq!(c.receipt.code_page, kasse::receipt::CodePage::Pc865);
    assert_eq!(c.receipt.paper_code, kasse::receipt::PaperCode::Qr);
    assert!(c.receipt.drawer_kick);
    assert_eq!(c.receipt.footer, vec!["Takk for handelen!"]);
    assert_eq!(c.receipt.printer, kasse::receipt::PrinterConfig::None);
    let s = c.api_settings();
    assert_eq!(s.client_id, kasse::config::SIM_CLIENT_ID);
    assert!(kasse::api::Vipps::new(s).is_ok());
    // and through the real loader
    Config::load(Some(&example_path())).unwrap();
}

#[test]
fn env_overrides_file() {
    let text = example().replace("environment = \"sim\"", "environment = \"test\"");
    let env = env_of(&[
        ("KASSE_CLIENT_ID", "id-from-env"),
        ("KASSE_CLIENT_SECRET", "secret-from-env"),
        ("KASSE_SUBSCRIPTION_KEY", "subkey-from-env"),
        ("KASSE_MSN", "654321"),
        ("KASSE_BASE_URL", "http://127.0.0.1:9999"),
    ]);
    let c = Config::from_toml_str(&text, &env).unwrap();
    assert_eq!(c.vipps.msn, "654321");
    assert_eq!(c.vipps.base_url, "http://127.0.0.1:9999");
    let s = c.api_settings();
    assert_eq!(s.client_id, "id-from-env");
    use secrecy::ExposeSecret;
    assert_eq!(s.client_secret.expose_secret(), "secret-from-env");
    let dbg = format!("{c:?} {s:?}");
    for secret in ["secret-from-env", "subkey-from-env", "id-from-env"] {
        assert!(!dbg.contains(secret), "{secret} leaked: {dbg}");
    }
}

#[test]
fn test_environment_needs_credentials() {
    let e = Config::from_toml_str(
        "[vipps]\nenvironment = \"test\"\nmsn = \"123456\"\n",
        &env_of(&[]),
    )
    .unwrap_err();
    match e {
        ConfigError::Missing { key, hint } => {
            assert_eq!(key, "vipps.client_id");
            assert!(hint.contains("KASSE_CLIENT_ID"));
        }
        other => panic!("{other}"),
    }
}

#[test]
fn bad_and_unknown_keys_are_quoted() {
    let cases = [
        ("[vipps]\nclient_sekret = \"x\"\n", "client_sekret"),
        ("[shop]\ncolour = \"red\"\n", "colour"),
        ("[nonsense]\nx = 1\n", "nonsense"),
        ("[vipps]\nenvironment = \"staging\"\n", "environment"),
        ("[vipps]\nmsn = \"12\"\n", "vipps.msn"),
        ("[vipps]\nmsn = 123456\n", "msn"),
        (
            "[vipps]\nbase_url = \"http://api.vipps.no\"\n",
            "vipps.base_url",
        ),
        (
            "[vipps]\nconnect_timeout_ms = 100\n",
            "vipps.connect_timeout_ms",
        ),
        ("[vipps]\nread_timeout_ms = 1000\n", "vipps.read_timeout_ms"),
        (
            "[vipps]\nsystem_name = \"a-very-long-system-name-over-thirty-chars\"\n",
            "system_name",
        ),
        ("[shop]\ncurrency = \"SEK\"\n", "shop.currency"),
        ("[shop]\nlanguage = \"sv\"\n", "language"),
        ("[shop]\nshop_id = \"shop 1\"\n", "shop.shop_id"),
        ("[receipt]\ncategory = \"RECIEPT\"\n", "receipt.category"),
        (
            "[psp]\nmake_payment_listen = \"nowhere\"\n",
            "psp.make_payment_listen",
        ),
        ("[shop]\norg_number = \"12345\"\n", "shop.org_number"),
        ("[shop]\naddress = \"Storgata 1\"\n", "address"),
        (
            "[shop]\ncontact = \"a very long contact line that is longer than one receipt line\"\n",
            "shop.contact",
        ),
        ("[receipt]\npaper_width = \"76mm\"\n", "receipt.paper_width"),
        ("[receipt]\ncode_page = \"utf8\"\n", "receipt.code_page"),
        ("[receipt]\npaper_code = \"ean13\"\n", "receipt.paper_code"),
        ("[receipt]\ndrawer_kick = \"yes\"\n", "drawer_kick"),
        ("[receipt]\nfooter = [\"a\\tb\"]\n", "receipt.footer"),
        (
            "[receipt.printer]\nkind = \"usb\"\n",
            "receipt.printer.kind",
        ),
        (
            "[receipt.printer]\nkind = \"network\"\n",
            "receipt.printer.address",
        ),
        (
            "[receipt.printer]\nkind = \"network\"\naddress = \"printer\"\n",
            "receipt.printer.address",
        ),
        (
            "[receipt.printer]\nkind = \"network\"\naddress = \"p:9100\"\ntimeout_ms = 5\n",
            "receipt.printer.timeout_ms",
        ),
        (
            "[receipt.printer]\nkind = \"device\"\n",
            "receipt.printer.path",
        ),
        (
            "[receipt.printer]\nkind = \"file\"\npath = \"/tmp/r\"\naddress = \"p:9100\"\n",
            "receipt.printer.address",
        ),
        ("[receipt.printer]\nport = 9100\n", "port"),
    ];
    for (text, key) in cases {
        let e = Config::from_toml_str(text, &env_of(&[])).unwrap_err();
        assert!(e.to_string().contains(key), "{text:?}: {e}");
    }
}

#[test]
fn production_requires_the_production_host() {
    let env = env_of(&[
        ("KASSE_CLIENT_ID", "a"),
        ("KASSE_CLIENT_SECRET", "b"),
        ("KASSE_SUBSCRIPTION_KEY", "c"),
    ]);
    let c = Config::from_toml_str(
        "[vipps]\nenvironment = \"production\"\nmsn = \"123456\"\n",
        &env,
    )
    .unwrap();
    assert_eq!(c.vipps.base_url, "https://api.vipps.no");
    let e = Config::from_toml_str(
        "[vipps]\nenvironment = \"production\"\nmsn = \"123456\"\nbase_url = \"https://apitest.vipps.no\"\n",
        &env,
    )
    .unwrap_err();
    assert!(e.to_string().contains("vipps.base_url"));
}

#[test]
fn printer_targets_parse() {
    use kasse::receipt::PrinterConfig;
    let c = Config::from_toml_str(
        "[receipt.printer]\nkind = \"network\"\naddress = \"192.168.1.50:9100\"\n",
        &env_of(&[]),
    )
    .unwrap();
    assert_eq!(
        c.receipt.printer,
        PrinterConfig::Network {
            address: "192.168.1.50:9100".into(),
            timeout_ms: 3000
        }
    );
    let c = Config::from_toml_str(
        "[receipt.printer]\nkind = \"device\"\npath = \"/dev/usb/lp0\"\n",
        &env_of(&[]),
    )
    .unwrap();
    assert_eq!(
        c.receipt.printer,
        PrinterConfig::Device {
            path: "/dev/usb/lp0".into()
        }
    );
    let c = Config::from_toml_str(
        "[shop]\norg_number = \"987 654 321\"\n[receipt.printer]\nkind = \"file\"\npath = \"r.bin\"\n",
        &env_of(&[]),
    )
    .unwrap();
    assert_eq!(c.shop.org_number.as_deref(), Some("987654321"));
    assert_eq!(
        c.receipt.printer,
        PrinterConfig::File {
            path: "r.bin".into()
        }
    );
}

/// The example's commented `[hq]` lines are real keys: uncommented they load, and the CA file
/// comes from KASSE_HQ_CA_FILE as the URL comes from KASSE_HQ_DATABASE_URL.
#[test]
fn example_hq_tls_lines_load_when_uncommented() {
    let text = example();
    let mut in_hq = false;
    let mut lines = Vec::new();
    for l in text.lines() {
        if l.starts_with('[') {
            in_hq = l == "[hq]";
        }
        let key_line = ["# database_url = ", "# ca_file = "]
            .iter()
            .any(|k| l.starts_with(k));
        lines.push(if in_hq && key_line { &l[2..] } else { l });
    }
    let c = Config::from_toml_str(&lines.join("\n"), &env_of(&[])).unwrap();
    use secrecy::ExposeSecret;
    let url =
        c.hq.database_url
            .as_ref()
            .expect("database_url uncommented");
    assert!(url.expose_secret().ends_with("?sslmode=require"));
    assert_eq!(
        c.hq.ca_file.as_deref(),
        Some(std::path::Path::new("/etc/kasse/hq-ca.pem"))
    );
    let c = Config::from_toml_str(
        "",
        &env_of(&[
            ("KASSE_HQ_DATABASE_URL", "postgres://k@hq/k?sslmode=require"),
            ("KASSE_HQ_CA_FILE", "/run/kasse/hq-ca.pem"),
        ]),
    )
    .unwrap();
    assert_eq!(
        c.hq.ca_file.as_deref(),
        Some(std::path::Path::new("/run/kasse/hq-ca.pem"))
    );
}
