//! `kasse sim`: the standalone simulator.

use std::io::Write;
use std::time::Duration;

use super::{
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
    /// MSN that is not allowed to send push (repeatable).
    #[arg(long = "no-push-msn")]
    pub no_push_msn: Vec<String>,
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
        for m in &self.no_push_msn {
            if !msns.contains(m) {
                msns.push(m.clone());
            }
        }
        SimConfig {
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            subscription_key: self.subscription_key.clone(),
            msns,
            no_push_msns: self.no_push_msn.clone(),
            time_scale: self.time_scale,
            rate_limits: !self.no_rate_limits,
            auto_approve_after: self.auto_approve_after.map(Duration::from_secs),
            ..SimConfig::default()
        }
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
        let _ = writeln!(out, "Merchant-Serial-Number: {m} ({push})");
    }
    let _ = writeln!(
        out,
        "control: POST /sim/v1/customer/{{reference}}/approve, GET /sim/v1/ledger, POST /sim/v1/clock/advance, POST /sim/v1/faults"
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
        assert!(!cfg.rate_limits);
        assert_eq!(cfg.auto_approve_after, Some(Duration::from_secs(5)));
    }
}
