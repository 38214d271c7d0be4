#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The receipt wording of kassasystemforskrifta §§ 2-8-4 ff., one test per rule: the title at
//! the top of a sales receipt (*Salgskvittering*) and of a return (*Returkvittering*), *KOPI* as
//! prominent as the title on copies, the training wording (*Treningskvittering – ikke gyldig som
//! kvittering*), the org. number followed by `MVA` only when the shop is VAT-registered, and
//! receipt numbers consecutive per till. kasse prints no provisional (pro-forma) slips, so
//! *Foreløpig kvittering* never appears.

mod common;
use common::receipts as receipt_fixtures;
use common::reports::{cash_sale, line, new_sale};
use kasse::lang::Lang;
use kasse::receipt::escpos::{EscPosOptions, escaped, render};
use kasse::receipt::model::build;
use kasse::receipt::text;
use kasse::store::Store;
use receipt_fixtures::*;
use time::Duration;
use time::macros::datetime;

/// The first line after the shop header's rule: the receipt's title and number.
fn title_line(t: &str) -> &str {
    t.lines()
        .skip_while(|l| !l.starts_with('-'))
        .nth(1)
        .unwrap_or_else(|| panic!("no title in\n{t}"))
}

#[test]
fn a_sales_receipt_says_salgskvittering_at_the_top() {
    let t = text::render(&printable(&normal_sale()), 48);
    assert!(title_line(&t).starts_with("Salgskvittering"), "{t}");
    assert!(!t.contains("Returkvittering") && !t.contains("KOPI") && !t.contains("Trening"));
    assert!(!t.contains("Foreløpig"), "{t}");
    let en = text::render(&build(&normal_sale(), &shop(), Lang::En).unwrap(), 48);
    assert!(title_line(&en).starts_with("Sales receipt"), "{en}");
}

#[test]
fn a_return_says_returkvittering() {
    let t = text::render(&printable(&refund_sale()), 48);
    assert!(title_line(&t).starts_with("Returkvittering"), "{t}");
    assert!(!t.contains("Salgskvittering"), "{t}");
}

#[test]
fn a_copy_says_kopi_first_and_as_prominently_as_the_title() {
    let copy = printable(&normal_sale()).as_copy();
    let t = text::render(&copy, 48);
    assert_eq!(
        t.lines().next().unwrap().trim(),
        "*** KOPI / COPY ***",
        "{t}"
    );
    assert!(title_line(&t).starts_with("Salgskvittering"), "{t}");
    // On paper: bold and inverse (white on black), the title is only bold.
    let b = escaped(&render(&copy, &EscPosOptions::default()).unwrap());
    assert!(
        b.contains("<1B>E<01><1D>B<01>*** KOPI / COPY ***<1D>B<00><1B>E<00>"),
        "{b}"
    );
    // The return's copy too.
    let t = text::render(&printable(&refund_sale()).as_copy(), 48);
    assert!(t.contains("KOPI") && t.contains("Returkvittering"), "{t}");
}

#[test]
fn a_training_receipt_says_it_is_not_valid_as_a_receipt() {
    let t = text::render(&training_copy(), 48);
    assert!(
        t.contains("Treningskvittering – ikke gyldig som kvittering"),
        "{t}"
    );
    assert!(title_line(&t).starts_with("Treningskvittering"), "{t}");
    let mut s = normal_sale();
    s.training = true;
    let en = text::render(&build(&s, &shop(), Lang::En).unwrap(), 48);
    assert!(
        en.contains("Training receipt – not valid as a receipt"),
        "{en}"
    );
}

#[test]
fn org_number_is_followed_by_mva_only_when_vat_registered() {
    let t = text::render(&printable(&normal_sale()), 48);
    assert!(t.contains("Org.nr. 987 654 321 MVA"), "{t}");
    let mut unregistered = shop();
    unregistered.vat_registered = false;
    let t = text::render(&build(&normal_sale(), &unregistered, Lang::Nb).unwrap(), 48);
    let org = t.lines().find(|l| l.contains("Org.nr.")).unwrap();
    assert_eq!(org.trim(), "Org.nr. 987 654 321", "{t}");
}

#[test]
fn receipt_numbers_are_consecutive_per_till() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open_in_dir(dir.path()).unwrap();
    let t0 = datetime!(2026-11-21 09:00:00 UTC);
    let numbers: Vec<String> = (0..4)
        .map(|i| {
            let mut sale = new_sale(
                t0 + Duration::minutes(i),
                None,
                vec![line("Kaffe", 2500, 4000, 1000)],
                false,
                "cash",
            );
            if i == 2 {
                // Another till counts on its own.
                sale.till_id = "t2".into();
            }
            cash_sale(&mut s, &sale).1
        })
        .collect();
    let seq: Vec<u64> = numbers
        .iter()
        .map(|n| n.rsplit('-').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(seq, [1, 2, 1, 3], "{numbers:?}");
}
