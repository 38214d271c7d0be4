//! Headless commands for kiosks, scripts and support: `kasse pay`, `kasse queue`,
//! `kasse doctor`. Output goes to the writer given (stdout in `main.rs`); the functions return
//! the process exit code.

use super::pay_fmt::{json_line, result_line, text_line};
use super::say;
use crate::app::{self, Options};
use crate::config::Config;
use crate::domain::money::{Currency, Money};
use crate::engine::events::{ApiKind, EngineEvent, NetworkState, PaymentState};
use crate::engine::provider::CustomerId;
use crate::engine::{Engine, NewSaleRequest, PayMethod};
use crate::lang::{Lang, Text};
use crate::store::{AsyncStore, OutboxFilter};
use std::io::Write;
use std::path::PathBuf;
use tokio::sync::broadcast::error::RecvError;

/// `kasse pay` arguments (clap lives in `main.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayArgs {
    /// Cashier input, e.g. `49,90`.
    pub amount: String,
    /// Phone number (any common form; normalised to an MSISDN).
    pub phone: Option<String>,
    /// Show a QR instead of sending a push.
    pub qr: bool,
    pub api: ApiKind,
    pub description: Option<String>,
    /// One JSON object per state change.
    pub json: bool,
    pub currency: Currency,
    pub lang: Lang,
}

/// Errors before a payment starts (bad arguments, engine refused).
#[derive(Debug, thiserror::Error)]
pub enum HeadlessError {
    #[error("{}", .0.en)]
    Input(Text),
    #[error(transparent)]
    Engine(#[from] crate::engine::EngineError),
    #[error("cannot write output: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl HeadlessError {
    pub fn message(&self) -> Text {
        match self {
            HeadlessError::Input(t) => t.clone(),
            HeadlessError::Engine(e) => e.message(),
            HeadlessError::Io(e) => Text::new(
                format!("Kan ikke skrive utdata: {e}"),
                format!("Cannot write output: {e}"),
            ),
            HeadlessError::Store(e) => e.message(),
        }
    }
}

/// Parse the `--phone` value for an API (see [`app::parse_phone`]).
pub fn parse_phone(api: ApiKind, input: &str) -> Result<String, HeadlessError> {
    app::parse_phone(api, input).map_err(HeadlessError::Input)
}

/// Build the sale request from `kasse pay` arguments.
pub fn pay_request(args: &PayArgs) -> Result<NewSaleRequest, HeadlessError> {
    let amount = Money::parse_input(&args.amount, args.currency).map_err(|e| {
        let t = e.text();
        HeadlessError::Input(Text::new(
            format!("--amount: {}", t.nb),
            format!("--amount: {}", t.en),
        ))
    })?;
    let method = match (&args.phone, args.qr) {
        (Some(_), true) => {
            return Err(HeadlessError::Input(Text::new(
                "Bruk enten --phone eller --qr, ikke begge.",
                "Use either --phone or --qr, not both.",
            )));
        }
        (Some(p), false) => PayMethod::Push {
            customer: CustomerId::Phone(parse_phone(args.api, p)?),
        },
        (None, true) => PayMethod::Qr,
        (None, false) => {
            return Err(HeadlessError::Input(Text::new(
                "Oppgi kundens mobilnummer med --phone, eller vis en QR-kode med --qr.",
                "Give the customer's phone with --phone, or show a QR code with --qr.",
            )));
        }
    };
    Ok(NewSaleRequest::single_amount(
        amount,
        method,
        args.api,
        args.description.clone(),
    ))
}

/// `kasse pay`: one sale through the engine. Prints each state change (with the countdowns),
/// the QR with `--qr`, and a last `result:` line. Returns the exit code (0 = paid).
pub async fn pay<W: Write>(
    engine: &Engine,
    args: &PayArgs,
    out: &mut W,
) -> Result<i32, HeadlessError> {
    pay_with_abort(engine, args, out, std::future::pending::<()>()).await
}

/// [`pay`] with an abort signal (e.g. `tokio::signal::ctrl_c()`): when it fires the payment is
/// cancelled the safe way (cancel, then read back) and the command waits for the final state.
pub async fn pay_with_abort<W: Write>(
    engine: &Engine,
    args: &PayArgs,
    out: &mut W,
    abort: impl std::future::Future<Output = ()>,
) -> Result<i32, HeadlessError> {
    let req = pay_request(args)?;
    let mut rx = engine.subscribe();
    let id = match engine.start_payment(req).await {
        Ok(id) => id,
        Err(e) => {
            let m = e.message();
            if args.json {
                let v = serde_json::json!({
                    "time": crate::clock::rfc3339_millis(time::OffsetDateTime::now_utc()),
                    "state": "refused",
                    "reason": m.en,
                    "reason_nb": m.nb,
                });
                writeln!(out, "{v}")?;
            }
            writeln!(
                out,
                "result: refused reference=- reason={}",
                m.get(args.lang)
            )?;
            return Ok(1);
        }
    };
    let mut last_state: Option<PaymentState> = None;
    let mut qr_shown = false;
    let mut abort = std::pin::pin!(abort);
    let mut aborted = false;
    loop {
        let next = tokio::select! {
            ev = rx.recv() => ev,
            () = &mut abort, if !aborted => {
                aborted = true;
                writeln!(out, "abort: cancelling payment {id}")?;
                if let Err(e) = engine.cancel_payment(id) {
                    writeln!(out, "abort: {}", e.message().get(args.lang))?;
                }
                continue;
            }
        };
        let ev = match next {
            Ok(ev) => ev,
            Err(RecvError::Lagged(_)) => {
                // Missed some events: fall back on the last snapshot.
                match engine.snapshot(id) {
                    Some(s) => EngineEvent::Payment(s),
                    None => continue,
                }
            }
            Err(RecvError::Closed) => {
                writeln!(out, "result: failed reference=- reason=engine stopped")?;
                return Ok(1);
            }
        };
        match ev {
            EngineEvent::Payment(s) if s.id == id => {
                if args.qr
                    && !qr_shown
                    && let Some(p) = &s.qr_payload
                {
                    qr_shown = true;
                    if !args.json {
                        match crate::engine::qr::render_terminal(p) {
                            Ok(q) => writeln!(out, "{q}")?,
                            Err(e) => writeln!(out, "{e}")?,
                        }
                        writeln!(out, "QR: {p}")?;
                    }
                }
                if last_state != Some(s.state) {
                    last_state = Some(s.state);
                    if args.json {
                        writeln!(out, "{}", json_line(&s))?;
                    } else {
                        writeln!(out, "{}", text_line(&s, args.lang))?;
                    }
                    out.flush()?;
                }
                if s.state.is_final() {
                    let (line, ok) = result_line(&s, args.lang);
                    writeln!(out, "{line}")?;
                    out.flush()?;
                    return Ok(if ok { 0 } else { 1 });
                }
            }
            EngineEvent::Network(n) if !args.json => {
                let t = match n {
                    NetworkState::Offline => Text::new(
                        "Vipps kan ikke nås – prøver igjen…",
                        "Vipps cannot be reached – retrying…",
                    ),
                    NetworkState::Online => {
                        Text::new("Vipps er tilgjengelig igjen.", "Vipps is reachable again.")
                    }
                    NetworkState::NotAnswering => Text::new(
                        "Vipps svarer ikke – venter på svar (ikke ta betalt på nytt)…",
                        "Vipps is not answering – waiting for an answer (do not charge again)…",
                    ),
                    NetworkState::Unknown => continue,
                };
                let label = args.lang.pick("nettverk", "network");
                writeln!(out, "{label}: {}", t.get(args.lang))?;
            }
            _ => {}
        }
    }
}

/// `kasse queue`: list the outbox rows (every row not done, plus dead rows). Returns 0, or 1 when
/// dead rows need staff.
pub async fn queue_list<W: Write>(store: &AsyncStore, out: &mut W) -> Result<i32, HeadlessError> {
    let rows = store.run(|s| s.list(OutboxFilter::All)).await?;
    let mut dead = 0;
    writeln!(
        out,
        "{:>5}  {:<10} {:<9} {:>3}  {:<28} {:<24} last error",
        "id", "kind", "status", "try", "reference", "next attempt"
    )?;
    for r in &rows {
        if r.status == crate::store::OutboxStatus::Dead && r.acknowledged_at.is_none() {
            dead += 1;
        }
        writeln!(
            out,
            "{:>5}  {:<10} {:<9} {:>3}  {:<28} {:<24} {}",
            r.id,
            r.kind.as_str(),
            r.status.as_str(),
            r.attempts,
            r.reference.clone().unwrap_or_default(),
            crate::clock::rfc3339_millis(r.next_attempt_at),
            r.last_error.clone().unwrap_or_default()
        )?;
    }
    let open = rows
        .iter()
        .filter(|r| {
            matches!(
                r.status,
                crate::store::OutboxStatus::Pending | crate::store::OutboxStatus::InFlight
            )
        })
        .count();
    writeln!(out, "rows: {} open: {open} dead: {dead}", rows.len())?;
    Ok(if dead > 0 { 1 } else { 0 })
}

/// `kasse queue --drain`: send every due row now (same keys), wait up to `max_wait` for
/// back-off, then list what is left. Exit 0 when nothing is open or dead.
pub async fn queue_drain<W: Write>(
    engine: &Engine,
    max_wait: std::time::Duration,
    out: &mut W,
) -> Result<i32, HeadlessError> {
    let (handled, open) = engine.drain_queue(max_wait).await;
    writeln!(out, "drained: {handled} attempts, {open} rows still open")?;
    let code = queue_list(&engine.store(), out).await?;
    Ok(if open > 0 { 1 } else { code })
}

#[derive(Debug, clap::Args)]
pub struct PayCli {
    /// Amount, as a cashier types it: 49,90 or 49.90 or "kr 49".
    #[arg(long)]
    pub amount: String,
    /// Send a push to this phone number.
    #[arg(long, conflicts_with = "qr")]
    pub phone: Option<String>,
    /// Show a QR code for the customer to scan.
    #[arg(long)]
    pub qr: bool,
    /// Which Vipps API (default: from the config).
    #[arg(long, value_parser = ["epayment", "ecom", "psp"])]
    pub api: Option<String>,
    /// Text shown in the customer's app.
    #[arg(long)]
    pub description: Option<String>,
    /// One JSON object per state change.
    #[arg(long)]
    pub json: bool,
    /// With --demo: the simulated customer approves after this many seconds.
    #[arg(long, default_value_t = 3)]
    pub approve_after: u64,
}

/// `kasse pay`: one sale without the screen. Ctrl-C cancels safely.
pub async fn command(opts: &Options, config: Config, dir: PathBuf, lang: Lang, p: PayCli) -> i32 {
    let api = match p.api.as_deref() {
        Some(s) => ApiKind::parse(s).unwrap_or_default(),
        None => app::api_of(config.vipps.api),
    };
    // `--api` chooses the API for this run: the till is started for it (a PSP run needs the
    // makePaymentUrl listener, which only `api = "psp"` starts).
    let mut config = config;
    config.vipps.api = match api {
        ApiKind::Epayment => crate::config::ApiChoice::Epayment,
        ApiKind::Ecom => crate::config::ApiChoice::Ecom,
        ApiKind::Psp => crate::config::ApiChoice::Psp,
    };
    let currency = config.shop.currency;
    let auto = opts
        .demo
        .then(|| std::time::Duration::from_secs(p.approve_after));
    let till = match app::start_till(opts, config, dir, auto).await {
        Ok(t) => t,
        Err(e) => {
            say(lang, e.text());
            return 1;
        }
    };
    let args = PayArgs {
        amount: p.amount,
        phone: p.phone,
        qr: p.qr,
        api,
        description: p.description,
        json: p.json,
        currency,
        lang,
    };
    let mut out = std::io::stdout();
    // Ctrl-C aborts safely: cancel, then read back (an approval in the meantime is
    // reported, never lost).
    let abort = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let code = match pay_with_abort(till.engine(), &args, &mut out, abort).await {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(out, "result: error reason={}", e.message().get(lang));
            1
        }
    };
    till.shutdown().await;
    code
}

/// `kasse queue [--drain]`: list the durable outbox (read-only beside a running till), or send
/// it and wait up to `max_wait` seconds.
pub async fn queue_command(
    opts: &Options,
    config: Config,
    dir: PathBuf,
    lang: Lang,
    drain: bool,
    max_wait: u64,
) -> i32 {
    if !drain {
        let store = match super::ops::read_only_store(&dir).await {
            Ok(s) => s,
            Err(t) => {
                say(lang, &t);
                return 1;
            }
        };
        return match queue_list(&store, &mut std::io::stdout()).await {
            Ok(c) => c,
            Err(e) => {
                say(lang, &e.message());
                1
            }
        };
    }
    let till = match app::start_till(opts, config, dir, None).await {
        Ok(t) => t,
        Err(e) => {
            say(lang, e.text());
            return 1;
        }
    };
    let mut out = std::io::stdout();
    let r = if drain {
        queue_drain(
            till.engine(),
            std::time::Duration::from_secs(max_wait),
            &mut out,
        )
        .await
    } else {
        queue_list(&till.store(), &mut out).await
    };
    till.shutdown().await;
    match r {
        Ok(c) => c,
        Err(e) => {
            say(lang, &e.message());
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_forms() {
        assert_eq!(
            parse_phone(ApiKind::Epayment, "+47 912 34 567").unwrap(),
            "4791234567"
        );
        assert_eq!(
            parse_phone(ApiKind::Epayment, "91234567").unwrap(),
            "4791234567"
        );
        assert_eq!(
            parse_phone(ApiKind::Ecom, "+47 912 34 567").unwrap(),
            "91234567"
        );
        assert!(parse_phone(ApiKind::Ecom, "+45 12 34 56 78").is_err());
        let e = parse_phone(ApiKind::Epayment, "abc").unwrap_err();
        assert!(e.message().en.starts_with("--phone"));
    }

    #[test]
    fn pay_request_needs_phone_or_qr() {
        let a = PayArgs {
            amount: "49,90".into(),
            phone: None,
            qr: false,
            api: ApiKind::Epayment,
            description: None,
            json: false,
            currency: Currency::Nok,
            lang: Lang::En,
        };
        assert!(pay_request(&a).is_err());
        let ok = pay_request(&PayArgs {
            qr: true,
            ..a.clone()
        })
        .unwrap();
        assert_eq!(ok.lines[0].gross, 4990);
        assert_eq!(ok.lines[0].gross - ok.lines[0].net, ok.lines[0].vat);
        assert!(
            pay_request(&PayArgs {
                qr: true,
                phone: Some("91234567".into()),
                ..a
            })
            .is_err()
        );
    }
}
