//! `kasse cash float|withdraw|deposit AMOUNT [--reason TEXT]`: cash management from the
//! command line (the PIN from `KASSE_PIN`, never argv): the opening float of the period (any
//! staff PIN), withdrawals and deposits (a manager PIN and a reason). Each is a signed cash
//! transaction (11007 / 11010 / 11011); the drawer opens when a printer is configured.
//! `kasse cash list` shows the open period's movements and the expected cash.

use std::io::Write;

use secrecy::ExposeSecret;

use crate::domain::cash::{CashKind, parse_amount};
use crate::domain::money::Money;
use crate::domain::staff::StaffError;
use crate::lang::Text;
use crate::service::context::HeadlessCtx;

/// What to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CashAction {
    /// The opening float (vekselbeholdning) of the period since the last Z.
    Float,
    /// Take cash out of the drawer (manager PIN, --reason).
    Withdraw,
    /// Put cash into the drawer (manager PIN, --reason).
    Deposit,
    /// The open period's movements and the expected cash (no PIN).
    List,
}

/// `kasse cash ACTION [AMOUNT] [--reason TEXT]`
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct CashArgs {
    #[arg(value_enum)]
    pub action: CashAction,
    /// Amount in kroner, e.g. 1000 or 1 000,50.
    pub amount: Option<String>,
    /// Why (required for withdraw and deposit; journaled).
    #[arg(long)]
    pub reason: Option<String>,
}

impl CashArgs {
    /// The movement to record, None for `list`.
    pub fn kind(&self) -> Option<CashKind> {
        match self.action {
            CashAction::Float => Some(CashKind::Float),
            CashAction::Withdraw => Some(CashKind::Withdrawal),
            CashAction::Deposit => Some(CashKind::Deposit),
            CashAction::List => None,
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Run `kasse cash`. Prints `result: recorded kind=… amount=… nr=…` (exit 0) or
/// `result: refused reason=…` (exit 1). Returns whether a movement was recorded (the caller
/// opens the drawer).
pub async fn cash<W: Write>(ctx: &HeadlessCtx, args: &CashArgs, out: &mut W) -> (i32, bool) {
    let lang = ctx.lang;
    let fail = |out: &mut W, e: &Text| {
        let _ = writeln!(out, "result: refused reason={}", one_line(e.get(lang)));
        (1, false)
    };
    let now = ctx.clock.now();
    let Some(kind) = args.kind() else {
        return list(ctx, out).await;
    };
    let Some(amount) = &args.amount else {
        let f = kind.field();
        return fail(
            out,
            &Text::new(
                format!("{}: skriv beløpet i kroner, f.eks. 1000.", f.nb),
                format!("{}: give the amount in kroner, e.g. 1000.", f.en),
            ),
        );
    };
    let amount = match parse_amount(&kind.field(), amount, ctx.currency) {
        Ok(a) => a,
        Err(t) => return fail(out, &t),
    };
    let Some(pin) = &ctx.pin else {
        return fail(
            out,
            &Text::new(
                "PIN: sett KASSE_PIN (leder-PIN for uttak og innskudd).",
                "PIN: set KASSE_PIN (a manager PIN for withdrawals and deposits).",
            ),
        );
    };
    let session = match ctx.db.login(pin.expose_secret(), now).await {
        Ok(s) => s,
        Err(e) => return fail(out, &e.message()),
    };
    let reason = args.reason.clone().unwrap_or_default();
    let result = ctx
        .db
        .record_cash(
            &session,
            None,
            kind,
            amount,
            &reason,
            ctx.currency.code(),
            now,
        )
        .await;
    let _ = ctx.db.logout(session, now).await;
    match result {
        Ok(m) => {
            let nr = m.fiscal_nr.map(|n| n.to_string()).unwrap_or_default();
            let _ = writeln!(
                out,
                "result: recorded kind={} amount={} nr={nr}",
                kind.as_str(),
                Money::new(m.amount, ctx.currency)
            );
            (0, true)
        }
        Err(e) => fail(out, &e.message()),
    }
}

async fn list<W: Write>(ctx: &HeadlessCtx, out: &mut W) -> (i32, bool) {
    let now = ctx.clock.now();
    let r: Result<_, StaffError> = async {
        let (from, to) = ctx.db.open_period(now).await?;
        let moves = ctx.db.cash_movements(from, to).await?;
        Ok((moves, ctx.db.drawer_now(now).await?))
    }
    .await;
    match r {
        Ok((moves, d)) => {
            for m in &moves {
                let _ = writeln!(
                    out,
                    "{} {:<10} {:>14} {}",
                    crate::clock::rfc3339_millis(m.at),
                    m.kind.as_str(),
                    Money::new(m.amount, ctx.currency).to_string(),
                    m.reason
                );
            }
            let m = |v: i64| Money::new(v, ctx.currency);
            let _ = writeln!(
                out,
                "result: float={} cash_sales={} withdrawals={} deposits={} expected={}",
                m(d.opening_float),
                m(d.cash_sales),
                m(d.withdrawals),
                m(d.deposits),
                m(d.expected)
            );
            (0, false)
        }
        Err(e) => {
            let _ = writeln!(
                out,
                "result: refused reason={}",
                one_line(e.message().get(ctx.lang))
            );
            (1, false)
        }
    }
}
