//! `kasse sim`: the standalone simulator.

use std::io::Write;
use std::time::Duration;

use crate::sim::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_MSN, DEFAULT_SUBSCRIPTION_KEY, SimConfig,
    SimError, serve,
};

/// Command-line options for `kasse sim`.
#[derive(Clone, clap::Args)]
pub struct SimArgs {
    /// Port to listen on (0 picks a free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Address to bind (loopback unless told otherwise).
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// Accepted client_id.
    #[arg(long, default_value = DEFAULT_CLIENT_ID)]
    pub client_id: String,
    /// Accepted client_secret.
    #[arg(long, default_value = DEFAULT_CLIENT_SECRET)]
    pub client_secret: String,
    /// Accepted Ocp-Apim-Subscription-Key.
    #[arg(long, default_value = DEFAULT_SUBSCRIPTION_KEY)]
    pub subscription_key: String,
    /// Merchant Serial Number of a sales unit (repeatable).
    #[arg(long = "msn")]
    pub msn: Vec<String>,
    /// MSN that is not allowed to send push (repeatable): PUSH_MESSAGE gets ePayment 5080,
    /// skipLandingPage gets eCom 38.
    #[arg(long = "no-push-msn")]
    pub no_push_msn: Vec<String>,
    /// No sales unit may send push (as --no-push-msn for every MSN).
    #[arg(long)]
    pub no_push: bool,
    /// Currency of the sales units, NOK, DKK or EUR (default NOK); `MSN=CUR` sets one sales
    /// unit (repeatable). Payments in another currency get ePayment 5040.
    #[arg(long = "currency", value_name = "CUR|MSN=CUR", value_parser = parse_currency)]
    pub currency: Vec<(Option<String>, String)>,
    /// A phone number that is not a Vipps user / cannot pay businesses (repeatable), as sent:
    /// ePayment MSISDN (e.g. 4790000000) or eCom 8 digits. A push to it gets ePayment 7010 /
    /// eCom 81. Besides these, every number whose last six digits are 000000 (4790000000,
    /// 4540000000, 90000000) is not a user unless --no-default-not-a-user.
    #[arg(long = "not-a-user", value_name = "PHONE", value_parser = parse_phone)]
    pub not_a_user: Vec<String>,
    /// Turn the default not-a-user set (numbers ending in 000000) off.
    #[arg(long)]
    pub no_default_not_a_user: bool,
    /// Run the simulated clock N times faster.
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Turn the per-payment rate limits off.
    #[arg(long)]
    pub no_rate_limits: bool,
    /// Approve waiting payments automatically after SECS simulated seconds.
    #[arg(long, value_name = "SECS")]
    pub auto_approve_after: Option<u64>,
}

impl std::fmt::Debug for SimArgs {
    // The secret stays out of Debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimArgs")
            .field("port", &self.port)
            .field("bind", &self.bind)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("subscription_key", &"[redacted]")
            .field("msn", &self.msn)
            .field("no_push_msn", &self.no_push_msn)
            .field("no_push", &self.no_push)
            .field("currency", &self.currency)
            .field("not_a_user", &self.not_a_user)
            .field("no_default_not_a_user", &self.no_default_not_a_user)
            .field("time_scale", &self.time_scale)
            .field("no_rate_limits", &self.no_rate_limits)
            .field("auto_approve_after", &self.auto_approve_after)
            .finish()
    }
}

impl SimArgs {
    pub fn to_config(&self) -> SimConfig {
        let mut msns = self.msn.clone();
        if msns.is_empty() {
            msns.push(DEFAULT_MSN.to_string());
        }
        for m in self
            .no_push_msn
            .iter()
            .chain(self.currency.iter().filter_map(|(m, _)| m.as_ref()))
        {
            if !msns.contains(m) {
                msns.push(m.clone());
            }
        }
        let no_push_msns = if self.no_push {
            msns.clone()
        } else {
            self.no_push_msn.clone()
        };
        let currency = self
            .currency
            .iter()
            .rev()
            .find(|(m, _)| m.is_none())
            .map_or_else(|| "NOK".to_string(), |(_, c)| c.clone());
        let msn_currencies = self
            .currency
            .iter()
            .filter_map(|(m, c)| m.as_ref().map(|m| (m.clone(), c.clone())))
            .collect();
        SimConfig {
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            subscription_key: self.subscription_key.clone(),
            msns,
            no_push_msns,
            currency,
            msn_currencies,
            not_a_user: self.not_a_user.clone(),
            default_not_a_user: !self.no_default_not_a_user,
            time_scale: self.time_scale,
            rate_limits: !self.no_rate_limits,
            auto_approve_after: self.auto_approve_after.map(Duration::from_secs),
            ..SimConfig::default()
        }
    }
}

/// `NOK` or `MSN=NOK` (NOK, DKK or EUR).
fn parse_currency(s: &str) -> Result<(Option<String>, String), String> {
    let (msn, cur) = match s.split_once('=') {
        Some((m, c)) => (Some(m.trim().to_string()), c.trim()),
        None => (None, s.trim()),
    };
    if let Some(m) = &msn
        && (!(4..=6).contains(&m.len()) || !m.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!(
            "the MSN in --currency {s} must be 4-6 digits, e.g. --currency 123456=DKK"
        ));
    }
    let cur = cur.to_ascii_uppercase();
    if !matches!(cur.as_str(), "NOK" | "DKK" | "EUR") {
        return Err(format!(
            "--currency must be NOK, DKK or EUR (or MSN=CUR), got '{s}'"
        ));
    }
    Ok((msn, cur))
}

/// A phone number as the API receives it: 8-15 digits.
fn parse_phone(s: &str) -> Result<String, String> {
    let t = s.trim();
    if (8..=15).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()) {
        Ok(t.to_string())
    } else {
        Err(format!(
            "--not-a-user takes the number as sent: 8-15 digits, e.g. 4790000000 (ePayment) or 90000000 (eCom); got '{s}'"
        ))
    }
}

/// Run until Ctrl-C. The first stdout line is `listening on http://HOST:PORT`.
pub async fn run_cli(args: SimArgs) -> Result<(), SimError> {
    let cfg = args.to_config();
    let addr = format!("{}:{}", args.bind, args.port);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|source| SimError::Bind {
            addr: addr.clone(),
            source,
        })?;
    let handle = serve(listener, cfg.clone()).await?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {}", handle.base_url());
    let _ = writeln!(out, "client_id: {}", cfg.client_id);
    let _ = writeln!(out, "client_secret: {}", cfg.client_secret);
    let _ = writeln!(out, "Ocp-Apim-Subscription-Key: {}", cfg.subscription_key);
    for m in &cfg.msns {
        let push = if cfg.no_push_msns.contains(m) {
            "push not allowed"
        } else {
            "push allowed"
        };
        let _ = writeln!(
            out,
            "Merchant-Serial-Number: {m} ({push}, {})",
            cfg.currency_of(m)
        );
    }
    let mut not_users = cfg.not_a_user.join(", ");
    if cfg.default_not_a_user {
        if !not_users.is_empty() {
            not_users.push_str(", ");
        }
        not_users.push_str("every number ending in 000000");
    }
    if !not_users.is_empty() {
        let _ = writeln!(out, "not Vipps users (7010 / 81): {not_users}");
    }
    let _ = writeln!(
        out,
        "control: POST /sim/v1/customer/{{reference}}/approve, GET /sim/v1/ledger, POST /sim/v1/clock/advance, POST /sim/v1/faults, GET /sim/v1/webhooks"
    );
    let _ = out.flush();
    drop(out);
    if let Err(e) = tokio::signal::ctrl_c().await {
        tracing::warn!("cannot listen for Ctrl-C: {e}");
    }
    handle.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        sim: SimArgs,
    }

    #[test]
    fn defaults_are_the_fixed_test_credentials() {
        let cli = Cli::parse_from(["kasse"]);
        assert_eq!(cli.sim.port, 0);
        assert_eq!(cli.sim.bind, "127.0.0.1");
        let cfg = cli.sim.to_config();
        assert_eq!(cfg.client_id, DEFAULT_CLIENT_ID);
        assert_eq!(cfg.client_secret, DEFAULT_CLIENT_SECRET);
        assert_eq!(cfg.subscription_key, DEFAULT_SUBSCRIPTION_KEY);
        assert_eq!(cfg.msns, vec![DEFAULT_MSN.to_string()]);
        assert!(cfg.rate_limits);
        assert!(!format!("{:?}", cli.sim).contains(DEFAULT_CLIENT_SECRET));
        assert!(!format!("{cfg:?}").contains(DEFAULT_CLIENT_SECRET));
    }

    #[test]
    fn flags_map_to_config() {
        let cli = Cli::parse_from([
            "kasse",
            "--port",
            "8080",
            "--msn",
            "111111",
            "--msn",
            "222222",
            "--no-push-msn",
            "333333",
            "--time-scale",
            "10",
            "--no-rate-limits",
            "--auto-approve-after",
            "5",
        ]);
        let cfg = cli.sim.to_config();
        assert_eq!(cfg.msns, ["111111", "222222", "333333"]);
        assert_eq!(cfg.no_push_msns, ["333333"]);
        assert!((cfg.time_scale - 10.0).abs() < f64::EPSILON);
        assert_eq!(cfg.currency, "NOK");
        assert!(cfg.default_not_a_user);
        assert!(cfg.not_a_user.is_empty());
        assert!(!cfg.rate_limits);
        assert_eq!(cfg.auto_approve_after, Some(Duration::from_secs(5)));
    }

    #[test]
    fn push_currency_and_not_a_user_flags() {
        let cli = Cli::parse_from([
            "kasse",
            "--msn",
            "111111",
            "--no-push",
            "--currency",
            "dkk",
            "--currency",
            "222222=EUR",
            "--not-a-user",
            "4790000001",
            "--not-a-user",
            "91234560",
            "--no-default-not-a-user",
        ]);
        let cfg = cli.sim.to_config();
        assert_eq!(cfg.msns, ["111111", "222222"]);
        assert_eq!(cfg.no_push_msns, ["111111", "222222"]);
        assert_eq!(cfg.currency_of("111111"), "DKK");
        assert_eq!(cfg.currency_of("222222"), "EUR");
        assert_eq!(cfg.not_a_user, ["4790000001", "91234560"]);
        assert!(!cfg.default_not_a_user);
    }

    #[test]
    fn bad_currency_and_phone_are_named() {
        let e = Cli::try_parse_from(["kasse", "--currency", "SEK"])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("NOK, DKK or EUR"), "{e}");
        let e = Cli::try_parse_from(["kasse", "--not-a-user", "+47 900"])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("--not-a-user takes the number as sent"), "{e}");
    }
}
