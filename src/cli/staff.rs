//! The staff subcommands: `kasse refund`, `kasse report`, `kasse batch-capture`,
//! `kasse batch-refund`. `main.rs` parses [`RefundArgs`] / [`ReportArgs`] / … and builds a
//! [`HeadlessCtx`]; the functions print to `out` and return the process exit code (0 = done,
//! 1 = refused or failed, with the reason). The work is done by `service` (the same refund
//! flow as the till's screen).
//!
//! A manager PIN is needed for refunds and Z reports. It never comes from the command line
//! (shell history, process list): `main.rs` reads it from `KASSE_PIN` or prompts without echo,
//! and passes it in [`HeadlessCtx::pin`].

use std::io::Write;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::domain::batch::{BatchOp, BatchOutcome, BatchProgress};
use crate::domain::money::{Currency, Money};
use crate::domain::refund::{RefundMode, RefundRecord, RefundRequest, RefundStatus};
use crate::domain::report::{Report, day_bounds, parse_date};
use crate::domain::staff::{Session, StaffError, weak_pin_warning};
use crate::lang::Text;
use crate::receipt::report::{Format, render};
use crate::service::batch::BatchRunner;
pub use crate::service::context::{HeadlessCtx, refresh};
use crate::service::refund::{WaitLimits, refund as do_refund, wait_for};

/// `kasse refund REFERENCE [--amount X] [--reason TEXT]`
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct RefundArgs {
    /// Payment reference (e.g. kasse-s1-t1-000123-a1) or receipt number.
    pub reference: String,
    /// Amount to refund, e.g. 49,90. Without it, everything still refundable.
    #[arg(long)]
    pub amount: Option<String>,
    /// Why the money goes back (journaled, on the refund receipt).
    #[arg(long)]
    pub reason: Option<String>,
    /// Seconds to wait for Vipps to confirm before reporting the refund as still queued.
    #[arg(long, default_value_t = 60)]
    pub wait_secs: u64,
}

/// `kasse report [--date YYYY-MM-DD] [--z] [--number N | --copy] [--format text|csv|json]`
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct ReportArgs {
    /// X report of one calendar day instead of the open period (everything since the last Z);
    /// with --copy: the stored Z report taken that day (when there is only one).
    #[arg(long)]
    pub date: Option<String>,
    /// Take the Z report: closes everything since the till's last Z (manager PIN; needs an
    /// empty queue and no payment in progress). The next period opens at once.
    #[arg(long, conflicts_with_all = ["number", "copy"])]
    pub z: bool,
    /// Show a stored Z report again by its number, marked COPY (with --print: on paper).
    #[arg(long)]
    pub number: Option<i64>,
    /// Show the stored Z report of --date again, marked COPY.
    #[arg(long, requires = "date")]
    pub copy: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// With --z: the cash counted in the drawer, in kroner (e.g. 1490 or 1 490,50). The Z
    /// shows expected cash, counted cash and the difference; a difference is journaled (11008).
    #[arg(long, requires = "z", conflicts_with = "pieces")]
    pub counted: Option<String>,
    /// With --z: the drawer counted per note and coin, kroner:pieces comma separated (e.g.
    /// 1000:1,200:2,50:3,1:7). Instead of --counted.
    #[arg(long, requires = "z")]
    pub pieces: Option<String>,
    /// With --z and `[till] drawer_per_operator = true`: one operator's drawer counted, as
    /// STAFF_ID=KR (e.g. st002=740); repeat per operator.
    #[arg(long, requires = "z", conflicts_with_all = ["counted", "pieces"])]
    pub operator_counted: Vec<String>,
    /// Skip reading the day's payments back from Vipps.
    #[arg(long)]
    pub no_reconcile: bool,
    /// Also print the report on the receipt printer (in --demo: receipts.txt). With --number
    /// or --copy: the stored Z report, marked COPY.
    #[arg(long)]
    pub print: bool,
}

/// `kasse batch-capture [--date YYYY-MM-DD]`: capture every authorized-but-uncaptured Vipps
/// payment of the day (end-of-day correction; manager PIN).
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct BatchCaptureArgs {
    /// Business day (default: today at the till's UTC offset).
    #[arg(long)]
    pub date: Option<String>,
    /// Seconds to wait for Vipps per payment before reporting it as still queued.
    #[arg(long, default_value_t = 60)]
    pub wait_secs: u64,
}

/// `kasse batch-refund --reason TEXT REF[=AMOUNT]...`: refund a list of sales (end-of-day
/// correction; manager PIN). Without `=AMOUNT` everything still refundable.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct BatchRefundArgs {
    /// Payment references or receipt numbers, each optionally `=AMOUNT` (e.g. `…-a1=49,90`).
    #[arg(required = true)]
    pub refunds: Vec<String>,
    /// Why the money goes back (journaled, the same for every refund in the list).
    #[arg(long)]
    pub reason: String,
    /// Seconds to wait for Vipps per refund before reporting it as still queued.
    #[arg(long, default_value_t = 60)]
    pub wait_secs: u64,
}

/// Read the PIN from the `KASSE_PIN` environment variable, if set.
pub fn pin_from_env() -> Option<SecretString> {
    std::env::var("KASSE_PIN")
        .ok()
        .filter(|s| !s.is_empty())
        .map(SecretString::from)
}

/// A batch needs this process's engine to send its rows.
fn no_engine() -> StaffError {
    StaffError::Internal(Text::new(
        "Batch: kassen må kjøre i denne prosessen for å sende korrigeringene.",
        "Batch: the till must run in this process to send the corrections.",
    ))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) async fn manager_session(ctx: &HeadlessCtx) -> Result<Session, StaffError> {
    let Some(pin) = &ctx.pin else {
        return Err(StaffError::Forbidden(Text::new(
            "PIN: en leder-PIN trengs. Sett KASSE_PIN eller skriv den når kassen spør.",
            "PIN: a manager PIN is needed. Set KASSE_PIN or type it when asked.",
        )));
    };
    let session = ctx.db.login(pin.expose_secret(), ctx.clock.now()).await?;
    if session.weak_pin() {
        eprintln!("kasse: {}", weak_pin_warning().get(ctx.lang));
    }
    Ok(session)
}

/// `kasse refund`. Prints `result: refunded reference=REF amount=AMOUNT` (exit 0) or
/// `result: <refused|failed|pending> reference=REF reason=…` (exit 1).
pub async fn refund<W: Write>(ctx: &HeadlessCtx, args: &RefundArgs, out: &mut W) -> i32 {
    refund_with_record(ctx, args, out).await.0
}

/// [`refund`], also returning the record when Vipps confirmed it (to print the refund receipt).
pub async fn refund_with_record<W: Write>(
    ctx: &HeadlessCtx,
    args: &RefundArgs,
    out: &mut W,
) -> (i32, Option<RefundRecord>) {
    let lang = ctx.lang;
    let fail = |out: &mut W, what: &str, reason: &Text| {
        let _ = writeln!(
            out,
            "result: {what} reference={} reason={}",
            args.reference.trim(),
            one_line(reason.get(lang))
        );
        (1, None)
    };
    let mode = match &args.amount {
        None => RefundMode::Full,
        Some(a) => match Money::parse_input(a, ctx.currency) {
            Ok(m) => RefundMode::Amount(m.minor()),
            Err(e) => {
                let t = e.text();
                let t = Text::new(format!("--amount: {}", t.nb), format!("--amount: {}", t.en));
                return fail(out, "refused", &t);
            }
        },
    };
    let session = match manager_session(ctx).await {
        Ok(s) => s,
        Err(e) => return fail(out, "refused", &e.message()),
    };
    refresh(ctx, &args.reference).await;
    let req = RefundRequest {
        reference: args.reference.clone(),
        mode,
        reason: args
            .reason
            .clone()
            .unwrap_or_else(|| "refund at the till (kasse refund)".to_owned()),
    };
    let rec = match do_refund(&ctx.db, &session, &req, ctx.clock.now()).await {
        Ok(r) => r,
        Err(e) => return fail(out, "refused", &e.message()),
    };
    if let Some(engine) = &ctx.engine {
        engine.kick_worker();
    }
    let amount = Money::new(
        rec.amount,
        Currency::parse(&rec.currency).unwrap_or(ctx.currency),
    );
    let _ = writeln!(
        out,
        "{} {} ({}) {}",
        lang.pick("refusjon i kø:", "refund queued:"),
        rec.reference,
        amount.to_plain(),
        rec.idempotency_key
    );
    let status = match &ctx.engine {
        Some(engine) => {
            wait_for(
                &ctx.db,
                engine,
                &rec.idempotency_key,
                WaitLimits::timeout(Duration::from_secs(args.wait_secs)),
            )
            .await
        }
        // No engine in this process: the refund waits in the queue for the till.
        None => ctx.db.refund_status(&rec.idempotency_key).await,
    };
    let status = match status {
        Ok(s) => s,
        Err(e) => return fail(out, "failed", &e.message()),
    };
    match status {
        RefundStatus::Done => {
            if let Err(e) =
                crate::service::refund::settle_sale_status(&ctx.db, &rec, ctx.clock.now()).await
            {
                tracing::warn!(error = %e, "refund done but the sale status was not updated");
            }
            let _ = writeln!(
                out,
                "result: refunded reference={} amount={}",
                rec.reference,
                amount.to_plain()
            );
            (0, Some(rec))
        }
        RefundStatus::Failed(why) => fail(
            out,
            "failed",
            &Text::new(
                format!("Vipps avviste refusjonen: {why}"),
                format!("Vipps refused the refund: {why}"),
            ),
        ),
        RefundStatus::Pending | RefundStatus::Recorded => fail(
            out,
            "pending",
            &Text::new(
                "Refusjonen ligger i køen og sendes når Vipps svarer (se `kasse queue`).",
                "The refund is queued and is sent when Vipps answers (see `kasse queue`).",
            ),
        ),
    }
}

/// `kasse report`. X report of the open period by default; `--z` closes the period (manager
/// PIN); `--number N` / `--copy --date D` show a stored Z again. Exit 1 with the reason if
/// refused.
pub async fn report<W: Write>(ctx: &HeadlessCtx, args: &ReportArgs, out: &mut W) -> i32 {
    report_with(ctx, args, out).await.0
}

/// [`report`], also returning the report and whether it is a copy (a stored Z report, by
/// `--number N` or `--copy --date D`). The caller prints it.
pub async fn report_with<W: Write>(
    ctx: &HeadlessCtx,
    args: &ReportArgs,
    out: &mut W,
) -> (i32, Option<(Report, bool)>) {
    let lang = ctx.lang;
    let fail = |out: &mut W, e: &StaffError| {
        let _ = writeln!(
            out,
            "result: refused reason={}",
            one_line(e.message().get(lang))
        );
        (1, None)
    };
    if args.number.is_some() || args.copy {
        let stored = match (args.number, &args.date) {
            (Some(n), _) => ctx
                .db
                .stored_z_by_number(n)
                .await
                .map(|r| (r, n.to_string())),
            (None, Some(d)) => match parse_date(d) {
                Ok(date) => ctx.db.stored_z_report(date).await.map(|r| (r, d.clone())),
                Err(e) => return fail(out, &e),
            },
            (None, None) => return fail(out, &copy_needs_key()),
        };
        return match stored {
            Ok((Some(r), _)) => {
                let _ = out.write_all(render(&r, args.format, lang).as_bytes());
                (0, Some((r, true)))
            }
            Ok((None, key)) => fail(out, &no_stored_z(&key)),
            Err(e) => fail(out, &e),
        };
    }
    let (code, report) = report_inner(ctx, args, out).await;
    (code, report.map(|r| (r, false)))
}

fn copy_needs_key() -> StaffError {
    StaffError::Invalid(Text::new(
        "--copy: si hvilken Z-rapport med --number N eller --date ÅÅÅÅ-MM-DD.",
        "--copy: say which Z report with --number N or --date YYYY-MM-DD.",
    ))
}

fn no_stored_z(key: &str) -> StaffError {
    StaffError::Invalid(Text::new(
        format!("Ingen lagret Z-rapport for «{key}». Se nummeret på den trykte Z-rapporten."),
        format!("No stored Z report for \"{key}\". See the number on the printed Z report."),
    ))
}

async fn report_inner<W: Write>(
    ctx: &HeadlessCtx,
    args: &ReportArgs,
    out: &mut W,
) -> (i32, Option<Report>) {
    let lang = ctx.lang;
    let fail = |out: &mut W, e: &StaffError| {
        let _ = writeln!(
            out,
            "result: refused reason={}",
            one_line(e.message().get(lang))
        );
        (1, None)
    };
    let now = ctx.clock.now();
    let day = match &args.date {
        Some(d) if !args.z => match parse_date(d) {
            Ok(d) => Some(d),
            Err(e) => return fail(out, &e),
        },
        _ => None,
    };
    let count = match (&args.counted, &args.pieces) {
        (Some(c), _) => match crate::domain::cash::parse_counted(c, ctx.currency) {
            Ok(total) => Some(crate::domain::cash::DrawerCount::total(total)),
            Err(t) => return fail(out, &StaffError::Invalid(t)),
        },
        (None, Some(p)) => match crate::domain::cash::DrawerCount::parse_pieces(p) {
            Ok(c) => Some(c),
            Err(t) => return fail(out, &StaffError::Invalid(t)),
        },
        (None, None) => None,
    };
    let mut operator_counts = Vec::new();
    for oc in &args.operator_counted {
        let Some((staff, kr)) = oc.split_once('=') else {
            return fail(
                out,
                &StaffError::Invalid(Text::new(
                    format!("--operator-counted: «{oc}» er ikke ANSATT=KR, f.eks. st002=740."),
                    format!("--operator-counted: \"{oc}\" is not STAFF=KR, e.g. st002=740."),
                )),
            );
        };
        match crate::domain::cash::parse_counted(kr, ctx.currency) {
            Ok(total) => operator_counts.push((
                staff.trim().to_owned(),
                crate::domain::cash::DrawerCount::total(total),
            )),
            Err(t) => return fail(out, &StaffError::Invalid(t)),
        }
    }
    let session = if args.z {
        match manager_session(ctx).await {
            Ok(s) => Some(s),
            Err(e) => return fail(out, &e),
        }
    } else {
        None
    };
    let reconciliation = match (&ctx.reader, args.no_reconcile) {
        (Some(reader), false) => {
            let bounds = match day {
                Some(d) => Ok(day_bounds(d, ctx.utc_offset)),
                None => ctx.db.open_period(now).await,
            };
            let result = match bounds {
                Ok((from, to)) => {
                    crate::service::reconcile::reconcile(&ctx.db, reader.clone(), from, to).await
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(r) => Some(r),
                Err(e) => return fail(out, &e),
            }
        }
        _ => None,
    };
    let report = match &session {
        Some(s) => {
            ctx.db
                .close_period_counted(
                    s,
                    ctx.utc_offset,
                    reconciliation,
                    count,
                    operator_counts,
                    now,
                )
                .await
        }
        None => {
            ctx.db
                .x_report(None, day, ctx.utc_offset, reconciliation, now)
                .await
        }
    };
    match report {
        Ok(r) => {
            let _ = out.write_all(render(&r, args.format, lang).as_bytes());
            (0, Some(r))
        }
        Err(e) => fail(out, &e),
    }
}

/// `kasse batch-capture`: one `progress: DONE/TOTAL REFERENCE ok|failed` line on `progress`
/// (stderr) per payment as it finishes, then one line per payment and a `result:` line on
/// `out`. Exit 0 when every capture was confirmed, 1 otherwise (with the reason).
pub async fn batch_capture<W: Write, P: Write + Send>(
    ctx: &HeadlessCtx,
    args: &BatchCaptureArgs,
    out: &mut W,
    progress: &mut P,
) -> i32 {
    let lang = ctx.lang;
    let fail = |out: &mut W, e: &StaffError| {
        let _ = writeln!(
            out,
            "result: refused reason={}",
            one_line(e.message().get(lang))
        );
        1
    };
    let now = ctx.clock.now();
    let date = match &args.date {
        Some(d) => match parse_date(d) {
            Ok(d) => d,
            Err(e) => return fail(out, &e),
        },
        None => now.to_offset(ctx.utc_offset).date(),
    };
    let session = match manager_session(ctx).await {
        Ok(s) => s,
        Err(e) => return fail(out, &e),
    };
    let (from, to) = day_bounds(date, ctx.utc_offset);
    let candidates = match ctx.db.uncaptured_between(from, to).await {
        Ok(c) => c,
        Err(e) => return fail(out, &e),
    };
    if candidates.is_empty() {
        let _ = writeln!(out, "result: nothing to capture date={date}");
        return 0;
    }
    let Some(engine) = ctx.engine.clone() else {
        return fail(out, &no_engine());
    };
    let mut runner = BatchRunner::new(ctx.db.clone(), engine, ctx.clock.clone());
    runner.wait = Duration::from_secs(args.wait_secs);
    let ops = candidates
        .iter()
        .map(|c| BatchOp::Capture {
            reference: c.reference.clone(),
        })
        .collect();
    let result = runner
        .run(&session, ops, |p| progress_line(progress, &p))
        .await;
    match result {
        Ok(o) => print_outcomes(ctx, &o, "captured", out),
        Err(e) => fail(out, &e),
    }
}

fn progress_line<P: Write>(progress: &mut P, p: &BatchProgress) {
    let _ = writeln!(
        progress,
        "progress: {}/{} {} {}",
        p.done,
        p.total,
        p.reference,
        if p.ok { "ok" } else { "failed" }
    );
    let _ = progress.flush();
}

/// One line per operation and a `result:` line; exit 0 only when every one was confirmed.
fn print_outcomes<W: Write>(
    ctx: &HeadlessCtx,
    outcomes: &[BatchOutcome],
    done_word: &str,
    out: &mut W,
) -> i32 {
    let lang = ctx.lang;
    let mut ok = 0;
    for o in outcomes {
        let amount = Money::new(o.amount, ctx.currency).to_plain();
        let (word, why) = match (&o.refused, &o.status) {
            (Some(t), _) => ("refused", one_line(t.get(lang))),
            (None, RefundStatus::Done) => {
                ok += 1;
                (done_word, String::new())
            }
            (None, RefundStatus::Failed(w)) => ("failed", one_line(w)),
            (None, _) => ("pending", String::new()),
        };
        let _ = writeln!(
            out,
            "{word} reference={} amount={amount}{}",
            o.reference,
            if why.is_empty() {
                String::new()
            } else {
                format!(" reason={why}")
            }
        );
    }
    let total = outcomes.len();
    let _ = writeln!(out, "result: {done_word} {ok} of {total}");
    i32::from(ok != total)
}

/// `kasse batch-refund`: like [`batch_capture`] for a list of refunds (each checked by the
/// same rules as `kasse refund`: never more than captured − refunded, reason required).
pub async fn batch_refund<W: Write, P: Write + Send>(
    ctx: &HeadlessCtx,
    args: &BatchRefundArgs,
    out: &mut W,
    progress: &mut P,
) -> i32 {
    let lang = ctx.lang;
    let fail = |out: &mut W, t: &Text| {
        let _ = writeln!(out, "result: refused reason={}", one_line(t.get(lang)));
        1
    };
    let mut ops = Vec::new();
    for item in &args.refunds {
        let (reference, amount) = match item.split_once('=') {
            Some((r, a)) => (r.trim(), Some(a.trim())),
            None => (item.trim(), None),
        };
        let mode = match amount {
            None => RefundMode::Full,
            Some(a) => match Money::parse_input(a, ctx.currency) {
                Ok(m) => RefundMode::Amount(m.minor()),
                Err(e) => {
                    let t = e.text();
                    return fail(
                        out,
                        &Text::new(
                            format!("{reference}: beløp: {}", t.nb),
                            format!("{reference}: amount: {}", t.en),
                        ),
                    );
                }
            },
        };
        ops.push(BatchOp::Refund(RefundRequest {
            reference: reference.to_owned(),
            mode,
            reason: args.reason.clone(),
        }));
    }
    let session = match manager_session(ctx).await {
        Ok(s) => s,
        Err(e) => return fail(out, &e.message()),
    };
    let Some(engine) = ctx.engine.clone() else {
        return fail(out, &no_engine().message());
    };
    let mut runner = BatchRunner::new(ctx.db.clone(), engine, ctx.clock.clone());
    runner.wait = Duration::from_secs(args.wait_secs);
    match runner
        .run(&session, ops, |p| progress_line(progress, &p))
        .await
    {
        Ok(o) => print_outcomes(ctx, &o, "refunded", out),
        Err(e) => fail(out, &e.message()),
    }
}
