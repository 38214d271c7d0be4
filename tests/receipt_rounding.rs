#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Øreavrunding on paper: a cash-only sale's receipt prints "Øreavrunding / Rounding" between
//! the total and the tenders, the cash tender is the rounded amount, and `check_tenders`
//! accepts Σ tenders = total + rounding only for cash-only sales within half a cash step.
//!
//! Regenerate with `INSTA_UPDATE=always cargo test --test receipt_rounding`, then read every `.snap`.

mod common;
use common::receipts as receipt_fixtures;
use kasse::domain::money::Money;
use kasse::lang::Lang;
use kasse::receipt::model::{ReceiptError, Sale, Tender, build, check_tenders};
use receipt_fixtures::*;

/// The fixture basket paid in cash from a 500-note, rounded to the whole krone.
fn rounded_cash_sale() -> Sale {
    let mut s = normal_sale();
    s.tip = Money::nok(0);
    let total = gross(&s.basket);
    s.cash_rounding = total.cash_rounding();
    s.tenders = vec![Tender::cash(total.round_cash(), Money::nok(50_000))];
    s
}

#[test]
fn the_fixture_total_has_oere_so_it_rounds() {
    let s = rounded_cash_sale();
    assert!(!s.cash_rounding.is_zero(), "{:?}", gross(&s.basket));
}

#[test]
fn a_rounded_cash_receipt_prints_the_rounding_between_total_and_tenders() {
    let s = rounded_cash_sale();
    let total = gross(&s.basket);
    let r = build(&s, &shop(), Lang::Nb).unwrap();
    assert_eq!(r.total, total, "the total stays exact");
    assert_eq!(r.cash_rounding, total.cash_rounding());
    assert_eq!(r.tenders[0].amount, total.round_cash());
    let text = kasse::receipt::text::render(&r, 42);
    let at_total = text.find("Totalt").unwrap();
    let at_round = text.find("Øreavrunding").expect(&text);
    let at_cash = text.find("Kontant").unwrap();
    assert!(at_total < at_round && at_round < at_cash, "{text}");
    insta::assert_snapshot!("rounded_cash_receipt_nb_42", text);
    let en = kasse::receipt::text::render(&build(&s, &shop(), Lang::En).unwrap(), 32);
    assert!(en.contains("Rounding"), "{en}");
    insta::assert_snapshot!("rounded_cash_receipt_en_32", en);
}

#[test]
fn a_receipt_without_rounding_has_no_rounding_line() {
    let mut s = rounded_cash_sale();
    s.cash_rounding = Money::nok(0);
    s.tenders = vec![Tender::cash(gross(&s.basket), Money::nok(50_000))];
    let text = kasse::receipt::text::render(&build(&s, &shop(), Lang::Nb).unwrap(), 42);
    assert!(!text.contains("Øreavrunding"), "{text}");
}

#[test]
fn check_tenders_accepts_rounding_only_for_cash_within_half_a_step() {
    let s = rounded_cash_sale();
    let total = gross(&s.basket);
    assert!(check_tenders(&s).is_ok());
    // The rounding must match the tenders.
    let mut wrong = s.clone();
    wrong.cash_rounding = Money::nok(wrong.cash_rounding.minor() - 1);
    assert!(matches!(
        check_tenders(&wrong),
        Err(ReceiptError::TenderMismatch { .. })
    ));
    // More than half a krone is not a rounding.
    let mut big = s.clone();
    big.cash_rounding = Money::nok(51);
    big.tenders = vec![Tender::cash(
        total.checked_add(Money::nok(51)).unwrap(),
        Money::nok(50_000),
    )];
    let e = check_tenders(&big).unwrap_err();
    assert!(matches!(e, ReceiptError::BadRounding { .. }), "{e:?}");
    assert!(e.text().nb.contains("øreavrunding"), "{}", e.text().nb);
    // Never on a Vipps tender (Vipps pays to the øre).
    let mut vipps = s.clone();
    vipps.tenders = vec![Tender::vipps(VIPPS_REF, total.round_cash())];
    assert!(matches!(
        check_tenders(&vipps),
        Err(ReceiptError::BadRounding { .. })
    ));
    // Without a rounding, Σ tenders must still be the exact total.
    let mut none = s.clone();
    none.cash_rounding = Money::nok(0);
    assert!(matches!(
        check_tenders(&none),
        Err(ReceiptError::TenderMismatch { .. })
    ));
}

#[test]
fn a_receipt_stored_before_rounding_still_loads() {
    let r = build(&normal_sale(), &shop(), Lang::Nb).unwrap();
    let mut v = serde_json::to_value(&r).unwrap();
    v.as_object_mut().unwrap().remove("cash_rounding");
    let back: kasse::receipt::model::PrintableReceipt = serde_json::from_value(v).unwrap();
    assert!(back.cash_rounding.is_zero());
}
