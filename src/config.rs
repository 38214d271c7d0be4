//! Configuration: `config.example.toml` documents every key.
//!
//! Loaded from `--config PATH` or `<platform config dir>/config.toml`
//! (`directories::ProjectDirs::from("no", "kasse", "kasse")`). Secrets may come from the
//! environment (`KASSE_CLIENT_ID`, `KASSE_CLIENT_SECRET`, `KASSE_SUBSCRIPTION_KEY`,
//! `KASSE_MAKE_PAYMENT_TOKEN`, `KASSE_KIOSK_PIN`); `KASSE_MSN` and `KASSE_BASE_URL` override the
//! file. Unknown keys and bad values are errors that quote the key and say what is expected.
//! Secrets are held as [`SecretString`]: `{:?}` of a [`Config`] never shows them.

use crate::api::{self, ApiSettings, RetryPolicy, SystemHeaders, Timeouts};
use crate::domain::money::Currency;
use crate::lang::Lang;
use secrecy::SecretString;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Simulator credentials (the simulator accepts exactly these).
pub const SIM_CLIENT_ID: &str = "kasse-sim-client";
pub const SIM_CLIENT_SECRET: &str = "kasse-sim-secret";
pub const SIM_SUBSCRIPTION_KEY: &str = "kasse-sim-subscription-key";
pub const SIM_MSN: &str = "123456";
/// Default simulator address when `environment = "sim"` and no `base_url` is given.
pub const SIM_BASE_URL: &str = "http://127.0.0.1:8780";

/// Environment variables read by [`Config::load`].
pub const ENV_CLIENT_ID: &str = "KASSE_CLIENT_ID";
pub const ENV_CLIENT_SECRET: &str = "KASSE_CLIENT_SECRET";
pub const ENV_SUBSCRIPTION_KEY: &str = "KASSE_SUBSCRIPTION_KEY";
pub const ENV_MSN: &str = "KASSE_MSN";
pub const ENV_BASE_URL: &str = "KASSE_BASE_URL";
pub const ENV_MAKE_PAYMENT_TOKEN: &str = "KASSE_MAKE_PAYMENT_TOKEN";
pub const ENV_KIOSK_PIN: &str = "KASSE_KIOSK_PIN";

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("config key `{key}` = {value}: expected {expected}")]
    Invalid {
        key: String,
        value: String,
        expected: String,
    },
    #[error("config key `{key}` is missing: {hint}")]
    Missing { key: String, hint: String },
    #[error("no platform config directory could be found; pass --config PATH")]
    NoConfigDir,
}

fn invalid(key: &str, value: impl std::fmt::Display, expected: &str) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        value: format!("{value}"),
        expected: expected.to_owned(),
    }
}

/// Which Vipps environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// The built-in simulator (default; safe).
    #[default]
    Sim,
    /// Vipps test ("MT"), `https://apitest.vipps.no`.
    Test,
    /// Real money, `https://api.vipps.no`.
    Production,
}

/// Which payment API the till uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ApiChoice {
    #[default]
    Epayment,
    Ecom,
    Psp,
}

// ---- raw file shape --------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    vipps: RawVipps,
    #[serde(default)]
    shop: RawShop,
    #[serde(default)]
    psp: RawPsp,
    #[serde(default)]
    receipt: RawReceipt,
    #[serde(default)]
    ui: RawUi,
    #[serde(default)]
    backup: RawBackup,
    #[serde(default)]
    display: RawDisplay,
    #[serde(default)]
    hq: RawHq,
    #[serde(default)]
    till: RawTill,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTill {
    drawer_per_operator: Option<bool>,
}

/// `[till]`: how the till's cash drawer is kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TillConfig {
    /// Each operator has their own drawer (or drawer insert): X/Z show the float, cash sales,
    /// withdrawals, deposits and expected cash per operator, and a Z can be counted per
    /// operator (`kasse report --z --operator-counted ID=KR`). Default false: one drawer.
    pub drawer_per_operator: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHq {
    database_url: Option<String>,
    ca_file: Option<PathBuf>,
    sync_every_ms: Option<u64>,
    batch_rows: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDisplay {
    listen: Option<String>,
    language: Option<Lang>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBackup {
    dir: Option<PathBuf>,
    every_hours: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVipps {
    environment: Option<Environment>,
    base_url: Option<String>,
    msn: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    subscription_key: Option<String>,
    api: Option<ApiChoice>,
    psp_id: Option<String>,
    system_name: Option<String>,
    system_version: Option<String>,
    plugin_name: Option<String>,
    plugin_version: Option<String>,
    connect_timeout_ms: Option<u64>,
    read_timeout_ms: Option<u64>,
    max_attempts: Option<u32>,
    max_retry_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShop {
    name: Option<String>,
    shop_id: Option<String>,
    till_id: Option<String>,
    currency: Option<String>,
    language: Option<Lang>,
    address: Option<Vec<String>>,
    org_number: Option<String>,
    vat_registered: Option<bool>,
    contact: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPsp {
    make_payment_listen: Option<String>,
    make_payment_public_url: Option<String>,
    make_payment_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReceipt {
    category: Option<String>,
    order_details_url: Option<String>,
    logo: Option<PathBuf>,
    barcode: Option<bool>,
    paper_width: Option<String>,
    code_page: Option<String>,
    paper_code: Option<String>,
    drawer_kick: Option<bool>,
    footer: Option<Vec<String>>,
    printer: Option<RawPrinter>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrinter {
    kind: Option<String>,
    address: Option<String>,
    timeout_ms: Option<u64>,
    path: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUi {
    language: Option<Lang>,
    kiosk: Option<bool>,
    kiosk_pin: Option<String>,
    keymap: Option<PathBuf>,
    theme: Option<PathBuf>,
    catalog: Option<PathBuf>,
    max_quantity: Option<u32>,
    manager_pin_window_secs: Option<u64>,
    kiosk_idle_reset_secs: Option<u64>,
}

// ---- validated config ------------------------------------------------------------------------

/// `[vipps]`.
#[derive(Debug, Clone)]
pub struct VippsConfig {
    pub environment: Environment,
    pub base_url: String,
    pub msn: String,
    pub client_id: SecretString,
    pub client_secret: SecretString,
    pub subscription_key: SecretString,
    pub api: ApiChoice,
    pub psp_id: Option<String>,
    pub system: SystemHeaders,
    pub timeouts: Timeouts,
    pub retry: RetryPolicy,
}

/// `[shop]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopConfig {
    pub name: String,
    /// Short store code, used in payment references (e.g. `s1`).
    pub shop_id: String,
    /// Till code, used in references and as receipt `posId` (e.g. `t1`).
    pub till_id: String,
    pub currency: Currency,
    pub language: Lang,
    /// Address lines printed under the name on paper receipts.
    pub address: Vec<String>,
    /// Organisation number, 9 digits (spaces removed); printed `Org.nr. … MVA` when
    /// `vat_registered`.
    pub org_number: Option<String>,
    /// Registered for VAT (*Merverdiavgiftsregisteret*; default true): receipts print `MVA`
    /// after the org. number (§ 2-8-4), the SAF-T company ident ends in `MVA`.
    pub vat_registered: bool,
    /// Phone / web line on paper receipts.
    pub contact: Option<String>,
}

/// `[psp]`.
#[derive(Debug, Clone)]
pub struct PspConfig {
    pub make_payment_listen: String,
    pub make_payment_public_url: Option<String>,
    pub make_payment_token: Option<SecretString>,
}

/// `[receipt]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptConfig {
    pub category: api::order_management::Category,
    pub order_details_url: Option<String>,
    pub logo: Option<PathBuf>,
    pub barcode: bool,
    pub paper_width: crate::receipt::PaperWidth,
    pub code_page: crate::receipt::CodePage,
    pub paper_code: crate::receipt::PaperCode,
    pub drawer_kick: bool,
    pub footer: Vec<String>,
    pub printer: crate::receipt::PrinterConfig,
}

/// `[ui]`.
#[derive(Debug, Clone)]
pub struct UiConfig {
    pub language: Lang,
    pub kiosk: bool,
    pub kiosk_pin: Option<SecretString>,
    pub keymap: Option<PathBuf>,
    pub theme: Option<PathBuf>,
    pub catalog: Option<PathBuf>,
    /// `ui.max_quantity`: the largest quantity on one line (default 999).
    pub max_quantity: u32,
    /// `ui.manager_pin_window_secs`: a logged-in manager is not asked for the PIN again for
    /// this long after giving it (default 300 s; 0: always asked).
    pub manager_pin_window: std::time::Duration,
    /// `ui.kiosk_idle_reset_secs`: a kiosk clears an untouched basket after this long
    /// without input (default 120 s).
    pub kiosk_idle_reset: std::time::Duration,
}

/// `[backup]`: a second location for automatic backups (after every Z and every
/// `every_hours` while the till runs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackupConfig {
    /// Where automatic backups go (None: no automatic backups; `kasse backup` then writes to
    /// `<data dir>/backups`).
    pub dir: Option<PathBuf>,
    /// Hours between automatic backups while the till runs (None or 0: only after a Z).
    pub every_hours: Option<u32>,
}

/// `[display]`: the customer display web page (off unless `listen` is set; `--demo` turns it
/// on at a loopback port).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisplayConfig {
    /// `host:port` to serve the page on. A non-loopback address needs the pairing token
    /// (`kasse display-url`).
    pub listen: Option<std::net::SocketAddr>,
    /// The display's language (default: `ui.language`).
    pub language: Lang,
}

/// Environment variable that overrides `[hq] database_url`.
pub const ENV_HQ_DATABASE_URL: &str = "KASSE_HQ_DATABASE_URL";
/// Environment variable that overrides `[hq] ca_file`.
pub const ENV_HQ_CA_FILE: &str = "KASSE_HQ_CA_FILE";

/// `[hq]`: replication of the journal to headquarters' PostgreSQL (off unless `database_url`
/// is set). The URL may hold a password: it is a secret, never logged or shown.
#[derive(Debug, Clone)]
pub struct HqConfig {
    /// `postgres://user:password@host:port/db` (or `KASSE_HQ_DATABASE_URL`).
    pub database_url: Option<SecretString>,
    /// PEM file of the CA(s) that signed HQ's server certificate (a shop's private CA; or
    /// `KASSE_HQ_CA_FILE`). When set, only these are trusted; else the system's roots. Read
    /// when the pool is made ([`crate::hq::pool_for`]), whose error names `hq.ca_file`.
    pub ca_file: Option<PathBuf>,
    /// How often the till sends what HQ has not acknowledged, in milliseconds (default 2000).
    pub sync_every: Duration,
    /// Feed rows per PostgreSQL transaction (default 2000).
    pub batch_rows: usize,
}

impl Default for HqConfig {
    fn default() -> HqConfig {
        HqConfig {
            database_url: None,
            ca_file: None,
            sync_every: Duration::from_millis(2000),
            batch_rows: 2000,
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub till: TillConfig,
    pub backup: BackupConfig,
    pub display: DisplayConfig,
    pub hq: HqConfig,
    pub vipps: VippsConfig,
    pub shop: ShopConfig,
    pub psp: PspConfig,
    pub receipt: ReceiptConfig,
    pub ui: UiConfig,
}

fn short_code(key: &str, v: String) -> Result<String, ConfigError> {
    if (1..=12).contains(&v.len()) && v.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(v)
    } else {
        Err(invalid(
            key,
            format!("{v:?}"),
            "1–12 letters or digits (used in payment references), e.g. \"s1\"",
        ))
    }
}

/// Receipt text lines: at most `max` lines of at most 48 characters, no control characters.
fn check_lines(key: &str, lines: Vec<String>, max: usize) -> Result<Vec<String>, ConfigError> {
    if lines.len() > max {
        return Err(invalid(
            key,
            format!("{} lines", lines.len()),
            &format!("at most {max} lines"),
        ));
    }
    for l in &lines {
        if l.chars().count() > 48 || l.chars().any(char::is_control) {
            return Err(invalid(
                key,
                format!("{l:?}"),
                "lines of at most 48 characters without tabs or line breaks (one receipt line each)",
            ));
        }
    }
    Ok(lines.into_iter().map(|l| l.trim_end().to_owned()).collect())
}

/// Norwegian organisation number: 9 digits (spaces allowed in the file, removed here).
fn org_number(v: &str) -> Result<String, ConfigError> {
    let digits: String = v.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 9 && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(invalid(
            "shop.org_number",
            format!("{v:?}"),
            "9 digits, as a string, e.g. \"987654321\" or \"987 654 321\"",
        ))
    }
}

fn printer_config(p: RawPrinter) -> Result<crate::receipt::PrinterConfig, ConfigError> {
    use crate::receipt::PrinterConfig;
    let kind = p.kind.unwrap_or_else(|| "none".to_owned());
    let only = |present: bool, key: &str, kinds: &str| -> Result<(), ConfigError> {
        if present {
            Err(invalid(
                &format!("receipt.printer.{key}"),
                format!("set with kind = {kind:?}"),
                &format!("{key} only with kind = {kinds}; remove it or change kind"),
            ))
        } else {
            Ok(())
        }
    };
    match kind.as_str() {
        "none" => {
            only(p.address.is_some(), "address", "\"network\"")?;
            only(p.timeout_ms.is_some(), "timeout_ms", "\"network\"")?;
            only(p.path.is_some(), "path", "\"device\" or \"file\"")?;
            Ok(PrinterConfig::None)
        }
        "network" => {
            only(p.path.is_some(), "path", "\"device\" or \"file\"")?;
            let Some(address) = p.address else {
                return Err(ConfigError::Missing {
                    key: "receipt.printer.address".to_owned(),
                    hint: "kind = \"network\" needs the printer's host:port, e.g. \"192.168.1.50:9100\"".to_owned(),
                });
            };
            let port_ok = address
                .rsplit_once(':')
                .is_some_and(|(h, port)| !h.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0));
            if !port_ok {
                return Err(invalid(
                    "receipt.printer.address",
                    format!("{address:?}"),
                    "host:port, e.g. \"192.168.1.50:9100\"",
                ));
            }
            let timeout_ms = p.timeout_ms.unwrap_or(3000);
            if !(100..=60_000).contains(&timeout_ms) {
                return Err(invalid(
                    "receipt.printer.timeout_ms",
                    timeout_ms,
                    "100–60000 milliseconds",
                ));
            }
            Ok(PrinterConfig::Network {
                address,
                timeout_ms,
            })
        }
        "device" | "file" => {
            only(p.address.is_some(), "address", "\"network\"")?;
            only(p.timeout_ms.is_some(), "timeout_ms", "\"network\"")?;
            let path = match p.path {
                Some(path) if !path.as_os_str().is_empty() => path,
                _ => {
                    return Err(ConfigError::Missing {
                        key: "receipt.printer.path".to_owned(),
                        hint: format!(
                            "kind = {kind:?} needs a path, e.g. \"/dev/usb/lp0\" or \"/var/spool/kasse/receipts.bin\""
                        ),
                    });
                }
            };
            Ok(if kind == "device" {
                PrinterConfig::Device { path }
            } else {
                PrinterConfig::File { path }
            })
        }
        other => Err(invalid(
            "receipt.printer.kind",
            format!("{other:?}"),
            "\"none\", \"network\", \"device\" or \"file\"",
        )),
    }
}

/// Keys whose values are secrets: never echoed in an error.
const SECRET_KEYS: &[&str] = &[
    "client_secret",
    "subscription_key",
    "client_id",
    "make_payment_token",
    "kiosk_pin",
    "pin",
    "password",
    "token",
    "secret",
    "database",
    "dsn",
];

/// Does this config line (`key = value`, maybe malformed) carry a secret?
fn secret_line(line: &str) -> bool {
    let key = line
        .split(['=', ':'])
        .next()
        .unwrap_or("")
        .trim()
        .trim_matches(['"', '\'', '[', ']'])
        .to_ascii_lowercase();
    !key.is_empty()
        && SECRET_KEYS
            .iter()
            .any(|k| key == *k || key.ends_with(&format!(".{k}")) || key.contains(k))
}

/// A TOML parse error shows the offending lines of the file: replace every secret line's value
/// (and any secret value anywhere in the message) with `[redacted]`. The key and the position
/// stay so the operator can still find and fix the line.
fn redact_secrets(message: &str, source: &str) -> String {
    // Values of secret lines in the source (also malformed ones), longest first.
    let mut values: Vec<String> = source
        .lines()
        .filter(|l| secret_line(l))
        .filter_map(|l| l.split_once('=').map(|(_, v)| v.trim().to_owned()))
        .flat_map(|v| {
            let inner = v.trim_matches(['"', '\'']).trim().to_owned();
            [v, inner]
        })
        .filter(|v| v.len() >= 3)
        .collect();
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    let mut out = Vec::new();
    for line in message.lines() {
        // Snippet lines look like ` 3 | client_secret = "abc` (toml's report format).
        let (gutter, body) = match line.split_once('|') {
            Some((g, b)) if g.trim().chars().all(|c| c.is_ascii_digit()) => (Some(g), b),
            _ => (None, line),
        };
        let mut body = if secret_line(body) {
            match body.split_once('=') {
                Some((k, _)) => format!("{k}= [redacted]"),
                None => " [redacted]".to_owned(),
            }
        } else {
            body.to_owned()
        };
        for v in &values {
            if body.contains(v.as_str()) {
                body = body.replace(v.as_str(), "[redacted]");
            }
        }
        out.push(match gutter {
            Some(g) => format!("{g}|{body}"),
            None => body,
        });
    }
    out.join("\n")
}

impl Config {
    /// The default file: `<platform config dir>/config.toml`.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("no", "kasse", "kasse")
            .map(|d| d.config_dir().join("config.toml"))
    }

    /// Load from `path` (must exist) or the default file (may be missing: then defaults,
    /// i.e. the simulator), applying the real environment.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let (text, shown) = match path {
            Some(p) => (
                std::fs::read_to_string(p).map_err(|source| ConfigError::Io {
                    path: p.to_owned(),
                    source,
                })?,
                p.display().to_string(),
            ),
            None => {
                let p = Config::default_path().ok_or(ConfigError::NoConfigDir)?;
                match std::fs::read_to_string(&p) {
                    Ok(t) => (t, p.display().to_string()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        (String::new(), p.display().to_string())
                    }
                    Err(source) => return Err(ConfigError::Io { path: p, source }),
                }
            }
        };
        Config::parse(&text, &shown, &env)
    }

    /// Parse TOML text with an injected environment (tests pass a closure).
    pub fn from_toml_str(
        s: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        Config::parse(s, "<string>", env)
    }

    fn parse(
        s: &str,
        shown: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(s).map_err(|e| ConfigError::Parse {
            path: shown.to_owned(),
            message: redact_secrets(&e.to_string(), s),
        })?;
        Config::from_raw(raw, env)
    }

    fn from_raw(
        raw: RawConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let v = raw.vipps;
        let environment = v.environment.unwrap_or_default();
        let sim = environment == Environment::Sim;
        let base_url = env(ENV_BASE_URL).or(v.base_url).unwrap_or_else(|| {
            match environment {
                Environment::Sim => SIM_BASE_URL,
                Environment::Test => api::TEST_BASE_URL,
                Environment::Production => api::PRODUCTION_BASE_URL,
            }
            .to_owned()
        });
        let base_url = api::http::check_base_url(&base_url)
            .map_err(|e| invalid("vipps.base_url", format!("{base_url:?}"), &e))?;
        if environment == Environment::Production && base_url != api::PRODUCTION_BASE_URL {
            return Err(invalid(
                "vipps.base_url",
                format!("{base_url:?}"),
                "https://api.vipps.no when environment = \"production\"",
            ));
        }
        if environment == Environment::Test && base_url == api::PRODUCTION_BASE_URL {
            return Err(invalid(
                "vipps.base_url",
                format!("{base_url:?}"),
                "not the production host when environment = \"test\"",
            ));
        }
        let secret = |key: &str,
                      envk: &str,
                      file: Option<String>,
                      sim_default: &str|
         -> Result<SecretString, ConfigError> {
            match env(envk).or(file) {
                Some(s) if !s.trim().is_empty() => Ok(SecretString::from(s.trim().to_owned())),
                _ if sim => Ok(SecretString::from(sim_default.to_owned())),
                _ => Err(ConfigError::Missing {
                    key: key.to_owned(),
                    hint: format!("set it in the file or in the environment variable {envk}"),
                }),
            }
        };
        let client_id = secret("vipps.client_id", ENV_CLIENT_ID, v.client_id, SIM_CLIENT_ID)?;
        let client_secret = secret(
            "vipps.client_secret",
            ENV_CLIENT_SECRET,
            v.client_secret,
            SIM_CLIENT_SECRET,
        )?;
        let subscription_key = secret(
            "vipps.subscription_key",
            ENV_SUBSCRIPTION_KEY,
            v.subscription_key,
            SIM_SUBSCRIPTION_KEY,
        )?;
        let msn = match env(ENV_MSN).or(v.msn) {
            Some(m) => m.trim().to_owned(),
            None if sim => SIM_MSN.to_owned(),
            None => {
                return Err(ConfigError::Missing {
                    key: "vipps.msn".to_owned(),
                    hint: format!(
                        "the merchant serial number (4–6 digits); set it in the file or in {ENV_MSN}"
                    ),
                });
            }
        };
        if !(4..=6).contains(&msn.len()) || !msn.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid(
                "vipps.msn",
                format!("{msn:?}"),
                "4–6 digits, as a string, e.g. \"123456\"",
            ));
        }
        let api_choice = v.api.unwrap_or_default();
        if api_choice == ApiChoice::Psp && v.psp_id.is_none() && !sim {
            return Err(ConfigError::Missing {
                key: "vipps.psp_id".to_owned(),
                hint: "api = \"psp\" needs the PSP-ID Vipps gave you".to_owned(),
            });
        }
        let defaults = SystemHeaders::default();
        let system = SystemHeaders {
            name: v.system_name.unwrap_or(defaults.name),
            version: v.system_version.unwrap_or(defaults.version),
            plugin_name: v.plugin_name.unwrap_or(defaults.plugin_name),
            plugin_version: v.plugin_version.unwrap_or(defaults.plugin_version),
        };
        system.check().map_err(|e| {
            invalid(
                "vipps.system_name/system_version/plugin_name/plugin_version",
                "",
                &e,
            )
        })?;
        let connect = v.connect_timeout_ms.unwrap_or(3000);
        if !(1000..=60_000).contains(&connect) {
            return Err(invalid(
                "vipps.connect_timeout_ms",
                connect,
                "1000–60000 (Vipps: at least 1 s)",
            ));
        }
        let read = v.read_timeout_ms.unwrap_or(10_000);
        if !(5000..=120_000).contains(&read) {
            return Err(invalid(
                "vipps.read_timeout_ms",
                read,
                "5000–120000 (Vipps: at least 5 s)",
            ));
        }
        let mut retry = RetryPolicy::default();
        if let Some(a) = v.max_attempts {
            if !(1..=10).contains(&a) {
                return Err(invalid("vipps.max_attempts", a, "1–10"));
            }
            retry.max_attempts = a;
        }
        if let Some(t) = v.max_retry_secs {
            if !(1..=300).contains(&t) {
                return Err(invalid("vipps.max_retry_secs", t, "1–300 seconds"));
            }
            retry.max_total = Duration::from_secs(t);
        }

        let s = raw.shop;
        let currency_text = s.currency.unwrap_or_else(|| "NOK".to_owned());
        let currency = Currency::parse(&currency_text).ok_or_else(|| {
            invalid(
                "shop.currency",
                format!("{currency_text:?}"),
                "\"NOK\", \"DKK\" or \"EUR\"",
            )
        })?;
        if matches!(api_choice, ApiChoice::Ecom | ApiChoice::Psp) && currency != Currency::Nok {
            return Err(invalid(
                "shop.currency",
                currency,
                "\"NOK\" (eCom and PSP take NOK only)",
            ));
        }
        let shop = ShopConfig {
            name: s.name.unwrap_or_else(|| "kasse".to_owned()),
            shop_id: short_code("shop.shop_id", s.shop_id.unwrap_or_else(|| "s1".to_owned()))?,
            till_id: short_code("shop.till_id", s.till_id.unwrap_or_else(|| "t1".to_owned()))?,
            currency,
            language: s.language.unwrap_or_default(),
            address: check_lines("shop.address", s.address.unwrap_or_default(), 6)?,
            org_number: match s.org_number {
                Some(o) => Some(org_number(&o)?),
                None => None,
            },
            vat_registered: s.vat_registered.unwrap_or(true),
            contact: match s.contact {
                Some(c) if c.chars().count() > 48 => {
                    return Err(invalid(
                        "shop.contact",
                        format!("{c:?}"),
                        "at most 48 characters (one receipt line)",
                    ));
                }
                Some(c) if c.trim().is_empty() => None,
                c => c.map(|c| c.trim().to_owned()),
            },
        };

        let p = raw.psp;
        let listen = p
            .make_payment_listen
            .unwrap_or_else(|| "127.0.0.1:8099".to_owned());
        if listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(invalid(
                "psp.make_payment_listen",
                format!("{listen:?}"),
                "an address and port, e.g. \"127.0.0.1:8099\"",
            ));
        }
        if let Some(u) = &p.make_payment_public_url
            && !u.starts_with("https://")
            && !u.starts_with("http://127.0.0.1")
        {
            return Err(invalid(
                "psp.make_payment_public_url",
                format!("{u:?}"),
                "an https:// URL Vipps can reach",
            ));
        }
        let psp = PspConfig {
            make_payment_listen: listen,
            make_payment_public_url: p.make_payment_public_url,
            make_payment_token: env(ENV_MAKE_PAYMENT_TOKEN)
                .or(p.make_payment_token)
                .map(SecretString::from),
        };

        let r = raw.receipt;
        let cat_text = r.category.unwrap_or_else(|| "RECEIPT".to_owned());
        let category = api::order_management::Category::from_wire(&cat_text);
        if !category.is_known() {
            return Err(invalid(
                "receipt.category",
                format!("{cat_text:?}"),
                "one of GENERAL, RECEIPT, ORDER_CONFIRMATION, DELIVERY, TICKET, BOOKING",
            ));
        }
        if let Some(u) = &r.order_details_url
            && !u.starts_with("https://")
        {
            return Err(invalid(
                "receipt.order_details_url",
                format!("{u:?}"),
                "an https:// URL",
            ));
        }
        let receipt = ReceiptConfig {
            category,
            order_details_url: r.order_details_url,
            logo: r.logo,
            barcode: r.barcode.unwrap_or(true),
            paper_width: match r.paper_width.as_deref() {
                None | Some("80mm") => crate::receipt::PaperWidth::Mm80,
                Some("58mm") => crate::receipt::PaperWidth::Mm58,
                Some(o) => {
                    return Err(invalid(
                        "receipt.paper_width",
                        format!("{o:?}"),
                        "\"80mm\" (48 columns) or \"58mm\" (32 columns)",
                    ));
                }
            },
            code_page: match r.code_page.as_deref() {
                None | Some("pc865") => crate::receipt::CodePage::Pc865,
                Some("wpc1252") => crate::receipt::CodePage::Wpc1252,
                Some(o) => {
                    return Err(invalid(
                        "receipt.code_page",
                        format!("{o:?}"),
                        "\"pc865\" (Nordic, default) or \"wpc1252\" (Windows Latin-1 with €)",
                    ));
                }
            },
            paper_code: match r.paper_code.as_deref() {
                None | Some("qr") => crate::receipt::PaperCode::Qr,
                Some("code128") => crate::receipt::PaperCode::Code128,
                Some("none") => crate::receipt::PaperCode::None,
                Some(o) => {
                    return Err(invalid(
                        "receipt.paper_code",
                        format!("{o:?}"),
                        "\"qr\", \"code128\" or \"none\"",
                    ));
                }
            },
            drawer_kick: r.drawer_kick.unwrap_or(true),
            footer: check_lines("receipt.footer", r.footer.unwrap_or_default(), 10)?,
            printer: printer_config(r.printer.unwrap_or_default())?,
        };

        let u = raw.ui;
        let kiosk_pin = env(ENV_KIOSK_PIN).or(u.kiosk_pin);
        if let Some(pin) = &kiosk_pin
            && (!(4..=12).contains(&pin.len()) || !pin.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(invalid("ui.kiosk_pin", "[redacted]", "4–12 digits"));
        }
        let kiosk = u.kiosk.unwrap_or(false);
        // kiosk = true without a kiosk PIN is fine once a manager exists (a manager PIN then
        // leaves kiosk mode); the screen refuses to start when neither exists.
        let ui = UiConfig {
            language: u.language.unwrap_or(shop.language),
            kiosk,
            kiosk_pin: kiosk_pin.map(SecretString::from),
            keymap: u.keymap,
            theme: u.theme,
            catalog: u.catalog,
            max_quantity: match u.max_quantity {
                None => 999,
                Some(n) if (1..=99_999).contains(&n) => n,
                Some(n) => return Err(invalid("ui.max_quantity", n, "a whole number 1–99999")),
            },
            manager_pin_window: match u.manager_pin_window_secs {
                None => std::time::Duration::from_secs(300),
                Some(n) if n <= 8 * 3600 => std::time::Duration::from_secs(n),
                Some(n) => {
                    return Err(invalid(
                        "ui.manager_pin_window_secs",
                        n,
                        "seconds, 0–28800 (0: ask every time)",
                    ));
                }
            },
            kiosk_idle_reset: match u.kiosk_idle_reset_secs {
                None => std::time::Duration::from_secs(120),
                Some(n) if (10..=3600).contains(&n) => std::time::Duration::from_secs(n),
                Some(n) => {
                    return Err(invalid("ui.kiosk_idle_reset_secs", n, "seconds, 10–3600"));
                }
            },
        };

        let b = raw.backup;
        if let Some(h) = b.every_hours
            && h > 24 * 31
        {
            return Err(invalid(
                "backup.every_hours",
                h,
                "0 (only after a Z) to 744 hours",
            ));
        }
        let backup = BackupConfig {
            dir: b.dir,
            every_hours: b.every_hours.filter(|h| *h > 0),
        };

        let d = raw.display;
        let display = DisplayConfig {
            listen: match d.listen.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(l) => Some(l.parse::<std::net::SocketAddr>().map_err(|_| {
                    invalid(
                        "display.listen",
                        format!("{l:?}"),
                        "an address and port, e.g. \"127.0.0.1:8088\" (this machine only) or \"0.0.0.0:8088\" (a tablet on the shop's network)",
                    )
                })?),
            },
            language: d.language.unwrap_or(ui.language),
        };

        let h = raw.hq;
        let database_url = match env(ENV_HQ_DATABASE_URL).or(h.database_url) {
            Some(u) if !u.trim().is_empty() => {
                let u = u.trim().to_owned();
                if !(u.starts_with("postgres://") || u.starts_with("postgresql://")) {
                    // Never echo the value: it may hold a password.
                    return Err(invalid(
                        "hq.database_url",
                        "(hidden)",
                        "a PostgreSQL URL, e.g. \"postgres://kasse:PASSWORD@hq.example:5432/kasse\" (or set KASSE_HQ_DATABASE_URL)",
                    ));
                }
                Some(SecretString::from(u))
            }
            _ => None,
        };
        let ca_file = match env(ENV_HQ_CA_FILE).map(PathBuf::from).or(h.ca_file) {
            Some(p) if !p.as_os_str().to_string_lossy().trim().is_empty() => Some(p),
            _ => None,
        };
        let sync_every = h.sync_every_ms.unwrap_or(2000);
        if !(100..=3_600_000).contains(&sync_every) {
            return Err(invalid(
                "hq.sync_every_ms",
                sync_every,
                "100 to 3600000 milliseconds",
            ));
        }
        let batch_rows = h.batch_rows.unwrap_or(2000);
        if !(1..=50_000).contains(&batch_rows) {
            return Err(invalid("hq.batch_rows", batch_rows, "1 to 50000 rows"));
        }
        let hq = HqConfig {
            database_url,
            ca_file,
            sync_every: Duration::from_millis(sync_every),
            batch_rows,
        };

        Ok(Config {
            till: TillConfig {
                drawer_per_operator: raw.till.drawer_per_operator.unwrap_or(false),
            },
            backup,
            display,
            hq,
            vipps: VippsConfig {
                environment,
                base_url,
                msn,
                client_id,
                client_secret,
                subscription_key,
                api: api_choice,
                psp_id: v.psp_id,
                system,
                timeouts: Timeouts {
                    connect: Some(Duration::from_millis(connect)),
                    read: Some(Duration::from_millis(read)),
                },
                retry,
            },
            shop,
            psp,
            receipt,
            ui,
        })
    }

    /// The settings for [`crate::api::Vipps::new`].
    pub fn api_settings(&self) -> ApiSettings {
        use secrecy::ExposeSecret;
        let v = &self.vipps;
        ApiSettings {
            base_url: v.base_url.clone(),
            msn: v.msn.clone(),
            client_id: v.client_id.expose_secret().to_owned(),
            client_secret: v.client_secret.clone(),
            subscription_key: v.subscription_key.clone(),
            psp_id: v.psp_id.clone(),
            system: v.system.clone(),
            timeouts: v.timeouts,
            retry: v.retry.clone(),
        }
    }
}

impl Config {
    /// The receipt settings (`[receipt]`: category, order_details_url, logo, barcode,
    /// paper_width, code_page, paper_code, drawer_kick, footer, printer) and the `[shop]`
    /// language for the printed labels — handed to the receipt module, which knows no config.
    pub fn receipt_settings(&self) -> crate::receipt::ReceiptSettings {
        let r = &self.receipt;
        crate::receipt::ReceiptSettings {
            paper_width: r.paper_width,
            code_page: r.code_page,
            paper_code: r.paper_code,
            lang: self.shop.language,
            drawer_kick: r.drawer_kick,
            footer: r.footer.clone(),
            app_barcode: r.barcode,
            category: r.category.as_str().to_owned(),
            order_details_url: r.order_details_url.clone(),
            logo: r.logo.clone(),
            printer: r.printer.clone(),
        }
    }

    /// The shop header for receipts (`[shop]` name, address, org_number, contact).
    pub fn shop_info(&self) -> crate::receipt::ShopInfo {
        crate::receipt::ShopInfo {
            name: self.shop.name.clone(),
            address: self.shop.address.clone(),
            org_number: self.shop.org_number.clone().unwrap_or_default(),
            vat_registered: self.shop.vat_registered,
            contact: self.shop.contact.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn empty_file_means_simulator_defaults() {
        let c = Config::from_toml_str("", &no_env).unwrap();
        assert_eq!(c.vipps.environment, Environment::Sim);
        assert_eq!(c.vipps.base_url, SIM_BASE_URL);
        assert_eq!(c.vipps.msn, SIM_MSN);
        assert_eq!(c.shop.shop_id, "s1");
        assert_eq!(c.receipt.category, api::order_management::Category::Receipt);
    }

    #[test]
    fn unknown_key_is_quoted() {
        let e = Config::from_toml_str("[vipps]\nclient_sekret = \"x\"\n", &no_env).unwrap_err();
        assert!(e.to_string().contains("client_sekret"), "{e}");
        let e = Config::from_toml_str("[vipps]\nenvironment = \"prod\"\n", &no_env).unwrap_err();
        assert!(e.to_string().contains("environment"), "{e}");
    }

    #[test]
    fn parse_error_never_echoes_a_secret() {
        // An unterminated string on the secret's line: toml quotes the line in its snippet.
        let text = "[vipps]\nmsn = \"123456\"\nclient_secret = \"Sup3rS3cretValue\nsubscription_key = 'k3y-V4lue-xyz\n";
        let e = Config::from_toml_str(text, &no_env).unwrap_err();
        let shown = e.to_string();
        assert!(!shown.contains("Sup3rS3cretValue"), "{shown}");
        assert!(!shown.contains("k3y-V4lue"), "{shown}");
        assert!(
            shown.contains("client_secret"),
            "the key is still named: {shown}"
        );
        assert!(shown.contains("[redacted]"), "{shown}");
        // A wrong type on a secret key: the value is not echoed either.
        let e = Config::from_toml_str("[ui]\nkiosk_pin = 98765432x\n", &no_env).unwrap_err();
        assert!(!e.to_string().contains("98765432"), "{e}");
        // A non-secret line keeps its text (the operator sees what is wrong).
        let e = Config::from_toml_str("[shop]\nname = \"Kiosk\n", &no_env).unwrap_err();
        assert!(e.to_string().contains("Kiosk"), "{e}");
    }

    #[test]
    fn hq_url_is_a_secret_from_file_or_env_and_a_bad_one_is_named_not_shown() {
        let c = Config::from_toml_str("", &no_env).unwrap();
        assert!(c.hq.database_url.is_none());
        assert_eq!(c.hq.batch_rows, 2000);
        let c = Config::from_toml_str(
            "[hq]\ndatabase_url = \"postgres://kasse:topsecret@hq:5432/kasse\"\nbatch_rows = 500\n",
            &no_env,
        )
        .unwrap();
        assert!(c.hq.database_url.is_some());
        assert_eq!(c.hq.batch_rows, 500);
        assert!(
            !format!("{c:?}").contains("topsecret"),
            "Debug shows the URL"
        );
        let env = |k: &str| {
            (k == ENV_HQ_DATABASE_URL).then(|| "postgres://kasse:fromenv@hq/kasse".to_owned())
        };
        let c = Config::from_toml_str("", &env).unwrap();
        use secrecy::ExposeSecret;
        assert!(
            c.hq.database_url
                .unwrap()
                .expose_secret()
                .contains("fromenv")
        );
        let e = Config::from_toml_str("[hq]\ndatabase_url = \"mysql://u:pw1234@h/db\"\n", &no_env)
            .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("hq.database_url"), "{msg}");
        assert!(!msg.contains("pw1234"), "the value is shown: {msg}");
        let e = Config::from_toml_str("[hq]\nbatch_rows = 0\n", &no_env).unwrap_err();
        assert!(e.to_string().contains("hq.batch_rows"), "{e}");
    }

    #[test]
    fn hq_ca_file_from_file_or_env() {
        let c = Config::from_toml_str("", &no_env).unwrap();
        assert_eq!(c.hq.ca_file, None);
        let c =
            Config::from_toml_str("[hq]\nca_file = \"/etc/kasse/hq-ca.pem\"\n", &no_env).unwrap();
        assert_eq!(
            c.hq.ca_file.as_deref(),
            Some(std::path::Path::new("/etc/kasse/hq-ca.pem"))
        );
        let env = |k: &str| (k == ENV_HQ_CA_FILE).then(|| "/run/kasse/ca.pem".to_owned());
        let c = Config::from_toml_str("[hq]\nca_file = \"/etc/kasse/hq-ca.pem\"\n", &env).unwrap();
        assert_eq!(
            c.hq.ca_file.as_deref(),
            Some(std::path::Path::new("/run/kasse/ca.pem")),
            "the environment wins, as for database_url"
        );
        let c = Config::from_toml_str("[hq]\nca_file = \"\"\n", &no_env).unwrap();
        assert_eq!(c.hq.ca_file, None, "empty means unset");
        let e = Config::from_toml_str("[hq]\nca_files = \"x\"\n", &no_env).unwrap_err();
        assert!(e.to_string().contains("ca_files"), "{e}");
    }

    #[test]
    fn display_section_is_off_by_default_and_names_a_bad_address() {
        let c = Config::from_toml_str("[ui]\nlanguage = \"en\"\n", &no_env).unwrap();
        assert_eq!(c.display.listen, None);
        assert_eq!(c.display.language, Lang::En);
        let c = Config::from_toml_str(
            "[display]\nlisten = \"0.0.0.0:8088\"\nlanguage = \"nb\"\n",
            &no_env,
        )
        .unwrap();
        assert_eq!(c.display.listen.unwrap().port(), 8088);
        assert_eq!(c.display.language, Lang::Nb);
        let e = Config::from_toml_str("[display]\nlisten = \"tablet\"\n", &no_env).unwrap_err();
        assert!(e.to_string().contains("display.listen"), "{e}");
    }

    #[test]
    fn till_section() {
        let c = Config::from_toml_str("[till]\ndrawer_per_operator = true\n", &no_env).unwrap();
        assert!(c.till.drawer_per_operator);
        let c = Config::from_toml_str("", &no_env).unwrap();
        assert!(!c.till.drawer_per_operator, "one drawer by default");
        let e =
            Config::from_toml_str("[till]\ndrawer_per_operators = true\n", &no_env).unwrap_err();
        assert!(e.to_string().contains("drawer_per_operators"), "{e}");
    }

    #[test]
    fn backup_section() {
        let c = Config::from_toml_str("[backup]\ndir = \"/mnt/usb\"\nevery_hours = 4\n", &no_env)
            .unwrap();
        assert_eq!(
            c.backup.dir.as_deref(),
            Some(std::path::Path::new("/mnt/usb"))
        );
        assert_eq!(c.backup.every_hours, Some(4));
        let e = Config::from_toml_str("[backup]\nevery_hours = 10000\n", &no_env).unwrap_err();
        assert!(e.to_string().contains("backup.every_hours"), "{e}");
        assert_eq!(
            Config::from_toml_str("", &no_env)
                .unwrap()
                .backup
                .every_hours,
            None
        );
    }

    #[test]
    fn ui_limits_have_defaults_and_name_a_bad_value() {
        let c = Config::from_toml_str("", &no_env).unwrap();
        assert_eq!(c.ui.max_quantity, 999);
        assert_eq!(c.ui.manager_pin_window, std::time::Duration::from_secs(300));
        assert_eq!(c.ui.kiosk_idle_reset, std::time::Duration::from_secs(120));
        let c = Config::from_toml_str(
            "[ui]\nmax_quantity = 50\nmanager_pin_window_secs = 0\nkiosk_idle_reset_secs = 45\n",
            &no_env,
        )
        .unwrap();
        assert_eq!(c.ui.max_quantity, 50);
        assert_eq!(c.ui.manager_pin_window, std::time::Duration::ZERO);
        assert_eq!(c.ui.kiosk_idle_reset, std::time::Duration::from_secs(45));
        for (text, key) in [
            ("[ui]\nmax_quantity = 0\n", "ui.max_quantity"),
            (
                "[ui]\nmanager_pin_window_secs = 99999\n",
                "ui.manager_pin_window_secs",
            ),
            (
                "[ui]\nkiosk_idle_reset_secs = 2\n",
                "ui.kiosk_idle_reset_secs",
            ),
        ] {
            let e = Config::from_toml_str(text, &no_env).unwrap_err();
            assert!(e.to_string().contains(key), "{e}");
        }
    }
}
