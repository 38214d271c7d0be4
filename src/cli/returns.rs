//! `kasse return`: goods back at the counter (issue #16). With the receipt number: the lines
//! and quantities, the money back the way it came (cash part in cash at once — offline too —,
//! the Vipps part as a Vipps refund). Without a receipt (`--no-receipt`): typed items, cash
//! only. Both need a manager PIN (`KASSE_PIN` or the no-echo prompt, never argv).

use std::io::Write;
use std::time::Duration;

use crate::domain::money::Currency;
use crate::domain::refund::{LineRefund, RefundStatus};
use crate::domain::returns::{
    CashReturnRecord, FreeLine, FreeReturnRequest, FreeTender, ReturnOutcome, ReturnRequest,
};
use crate::domain::staff::StaffError;
use crate::lang::Text;
use crate::service::context::HeadlessCtx;
use crate::service::refund::WaitLimits;
use crate::service::returns;

/// `kasse return RECEIPT --line N[:QTY]... --reason TEXT`, or
/// `kasse return --no-receipt --item NAME=AMOUNT[@VAT]... --reason TEXT`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct ReturnArgs {
    /// The receipt number of the sale (scan the receipt's code) or its Vipps reference.
    #[arg(required_unless_present = "no_receipt", conflicts_with = "no_receipt")]
    pub receipt: Option<String>,
    /// A line of the receipt to return: `N` (all that is left of line N) or `N:QTY`
    /// (e.g. `2:1`, `3:0,5` kg). Repeat for more lines.
    #[arg(long = "line", value_name = "N[:QTY]")]
    pub lines: Vec<String>,
    /// A return without the original sale: cash only, manager PIN.
    #[arg(long)]
    pub no_receipt: bool,
    /// With --no-receipt: an item that comes back, `NAME=AMOUNT` or `NAME=AMOUNT@VAT`
    /// (VAT in percent, default 25), e.g. `Genser=299,00@25`. Repeat for more items.
    #[arg(
        long = "item",
        value_name = "NAME=AMOUNT[@VAT]",
        requires = "no_receipt"
    )]
    pub items: Vec<String>,
    /// With --no-receipt: how the money goes back (only `cash` is accepted).
    #[arg(long, default_value = "cash", requires = "no_receipt")]
    pub tender: String,
    /// Why the goods come back (journaled, on the return receipt).
    #[arg(long)]
    pub reason: String,
    /// Seconds to wait for Vipps to confirm the Vipps part before reporting it as queued.
    #[arg(long, default_value_t = 60)]
    pub wait_secs: u64,
}

/// A quantity typed as `2`, `0,5` or `1.25` in thousandths.
fn parse_milli(s: &str) -> Option<i64> {
    let s = s.trim().replace(',', ".");
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 3 {
        return None;
    }
    let w: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let f: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<3}").parse().ok()?
    };
    w.checked_mul(1000)?.checked_add(f)
}

fn bad_line(arg: &str) -> StaffError {
    StaffError::Invalid(Text::new(
        format!("--line «{arg}»: skriv linjenummeret, eller linje:antall, f.eks. 2 eller 2:1."),
        format!("--line \"{arg}\": give the line number, or line:quantity, e.g. 2 or 2:1."),
    ))
}

/// `--line` values against the sale's lines (a bare `N`: all that is left of line N).
fn parse_lines(
    args: &[String],
    ctx: &crate::domain::returns::ReturnContext,
) -> Result<Vec<LineRefund>, StaffError> {
    if args.is_empty() {
        return Err(StaffError::Invalid(Text::new(
            "--line: velg minst én linje som kommer i retur, f.eks. --line 2:1.",
            "--line: choose at least one line that comes back, e.g. --line 2:1.",
        )));
    }
    let mut out = Vec::with_capacity(args.len());
    for a in args {
        let (no, qty) = a.split_once(':').unwrap_or((a, ""));
        let line_no: i64 = no.trim().parse().map_err(|_| bad_line(a))?;
        let quantity_milli = if qty.trim().is_empty() {
            ctx.lines
                .iter()
                .find(|l| l.line_no == line_no)
                .map_or(0, |l| l.quantity_milli - l.refunded_milli)
        } else {
            parse_milli(qty).ok_or_else(|| bad_line(a))?
        };
        out.push(LineRefund {
            line_no,
            quantity_milli,
        });
    }
    Ok(out)
}

fn parse_item(arg: &str, currency: Currency) -> Result<FreeLine, StaffError> {
    crate::domain::returns::parse_free_line(arg, currency).map_err(|e| {
        let t = e.message();
        StaffError::Invalid(Text::new(
            format!("--item: {}", t.nb),
            format!("--item: {}", t.en),
        ))
    })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn plain(minor: i64, currency: &str) -> String {
    crate::domain::refund::money(minor, currency).to_plain()
}

/// What `kasse return` leaves to print: the cash return (its receipt opens the drawer) and
/// the id of a Vipps refund Vipps confirmed (its refund receipt).
pub type ToPrint = (Option<CashReturnRecord>, Option<i64>);

/// `kasse return`. Prints `result: returned number=… cash=… vipps=…` (exit 0) or
/// `result: <refused|failed|pending> reason=…` (exit 1). Also answers what to print.
pub async fn run<W: Write>(ctx: &HeadlessCtx, args: &ReturnArgs, out: &mut W) -> (i32, ToPrint) {
    let lang = ctx.lang;
    let fail = |out: &mut W, what: &str, reason: &Text| {
        let _ = writeln!(out, "result: {what} reason={}", one_line(reason.get(lang)));
    };
    let session = match super::staff::manager_session(ctx).await {
        Ok(s) => s,
        Err(e) => {
            fail(out, "refused", &e.message());
            return (1, (None, None));
        }
    };
    if args.no_receipt {
        let tender = match args.tender.trim() {
            "cash" | "kontant" => FreeTender::Cash,
            _ => FreeTender::Vipps,
        };
        let items: Result<Vec<FreeLine>, StaffError> = args
            .items
            .iter()
            .map(|a| parse_item(a, ctx.currency))
            .collect();
        let r = match items {
            Ok(lines) => {
                let req = FreeReturnRequest {
                    lines,
                    tender,
                    reason: args.reason.clone(),
                    currency: ctx.currency.code().to_owned(),
                };
                returns::without_receipt(&ctx.db, &session, &req, ctx.clock.now()).await
            }
            Err(e) => Err(e),
        };
        return match r {
            Ok(r) => {
                let _ = writeln!(
                    out,
                    "result: returned number={} cash={} vipps=0 {}",
                    r.number,
                    plain(r.cash_paid_out(), &r.currency),
                    lang.pick("(retur uten kvittering)", "(return without receipt)")
                );
                (0, (Some(r), None))
            }
            Err(e) => {
                fail(out, "refused", &e.message());
                (1, (None, None))
            }
        };
    }
    let receipt = args.receipt.clone().unwrap_or_default();
    let rctx = match returns::context(&ctx.db, &receipt).await {
        Ok(c) => c,
        Err(e) => {
            fail(out, "refused", &e.message());
            return (1, (None, None));
        }
    };
    let lines = match parse_lines(&args.lines, &rctx) {
        Ok(l) => l,
        Err(e) => {
            fail(out, "refused", &e.message());
            return (1, (None, None));
        }
    };
    let req = ReturnRequest {
        receipt,
        lines,
        reason: args.reason.clone(),
    };
    let result = returns::run_return(
        &ctx.db,
        ctx.engine.as_ref(),
        ctx.clock.as_ref(),
        &session,
        &req,
        WaitLimits::timeout(Duration::from_secs(args.wait_secs)),
        |o: &ReturnOutcome| {
            if let Some(c) = &o.cash {
                let _ = writeln!(
                    std::io::stderr(),
                    "{} {} {}",
                    lang.pick("kontant tilbake:", "cash back:"),
                    c.number,
                    plain(c.cash_paid_out(), &c.currency)
                );
            }
        },
    )
    .await;
    let (outcome, status) = match result {
        Ok(r) => r,
        Err(e) => {
            fail(out, "refused", &e.message());
            return (1, (None, None));
        }
    };
    let cur = outcome
        .cash
        .as_ref()
        .map(|c| c.currency.clone())
        .or_else(|| outcome.vipps.as_ref().map(|v| v.currency.clone()))
        .unwrap_or_else(|| ctx.currency.code().to_owned());
    let number = match (&outcome.cash, &outcome.vipps) {
        (Some(c), _) => c.number.clone(),
        (None, Some(v)) => v.reference.clone(),
        (None, None) => String::new(),
    };
    let cash = outcome
        .cash
        .as_ref()
        .map_or(0, CashReturnRecord::cash_paid_out);
    let vipps = outcome.vipps.as_ref().map_or(0, |v| v.amount);
    let done = matches!(status, Some(Ok(RefundStatus::Done)));
    let code = match status {
        None | Some(Ok(RefundStatus::Done)) => {
            let _ = writeln!(
                out,
                "result: returned number={number} cash={} vipps={}",
                plain(cash, &cur),
                plain(vipps, &cur)
            );
            0
        }
        Some(Ok(RefundStatus::Failed(why))) => {
            fail(
                out,
                "failed",
                &Text::new(
                    format!("Vipps avviste Vipps-delen: {why}"),
                    format!("Vipps refused the Vipps part: {why}"),
                ),
            );
            1
        }
        Some(Ok(_)) => {
            let _ = writeln!(
                out,
                "result: pending number={number} cash={} vipps={} reason={}",
                plain(cash, &cur),
                plain(vipps, &cur),
                lang.pick(
                    "Vipps-delen ligger i køen og sendes når Vipps svarer.",
                    "The Vipps part is queued and is sent when Vipps answers."
                )
            );
            1
        }
        Some(Err(e)) => {
            fail(out, "failed", &e.message());
            1
        }
    };
    let refund_id = outcome.vipps.as_ref().filter(|_| done).map(|v| v.id);
    (code, (outcome.cash, refund_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse_in_thousandths() {
        assert_eq!(parse_milli("2"), Some(2000));
        assert_eq!(parse_milli("0,5"), Some(500));
        assert_eq!(parse_milli("1.25"), Some(1250));
        assert_eq!(parse_milli("1,2345"), None);
        assert_eq!(parse_milli("x"), None);
    }

    #[test]
    fn items_parse_name_amount_and_vat() {
        let l = parse_item("Genser=299,00@15", Currency::Nok).unwrap();
        assert_eq!(
            (l.name.as_str(), l.gross, l.vat_rate),
            ("Genser", 29_900, 1500)
        );
        let l = parse_item("Lue=99", Currency::Nok).unwrap();
        assert_eq!(l.vat_rate, 2500);
        let e = parse_item("Lue", Currency::Nok).unwrap_err();
        assert!(e.message().en.starts_with("--item: Item \"Lue\""));
    }
}
