#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Golden tests of the text rendering and the ESC/POS byte stream.

mod common;
use common::receipts as receipt_fixtures;
use kasse::domain::money::Money;
use kasse::lang::Lang;
use kasse::receipt::escpos::{DRAWER_KICK, EscPosOptions, escaped, render};
use kasse::receipt::model::{ReceiptError, Tender, build};
use kasse::receipt::{CodePage, PaperCode, text};
use receipt_fixtures::*;

fn opts(width: usize) -> EscPosOptions {
    EscPosOptions {
        width,
        code_page: CodePage::Pc865,
        code: PaperCode::Qr,
        drawer_kick: true,
        footer: vec!["Takk for handelen!".into()],
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn check_text_widths(s: &str, width: usize) {
    for l in s.lines() {
        assert!(l.chars().count() <= width, "line wider than {width}: {l:?}");
    }
}

#[test]
fn text_normal_sale_both_widths() {
    let r = printable(&normal_sale());
    for w in [48, 32] {
        let t = text::render(&r, w);
        check_text_widths(&t, w);
        assert!(t.contains(VIPPS_REF));
        assert!(t.contains("00000042"));
        insta::assert_snapshot!(format!("text_normal_{w}"), t);
    }
}

#[test]
fn text_split_refund_training_both_widths() {
    let cases = [
        ("split", printable(&split_sale())),
        ("refund", printable(&refund_sale())),
        ("training_copy", training_copy()),
    ];
    for (name, r) in cases {
        for w in [48, 32] {
            let t = text::render(&r, w);
            check_text_widths(&t, w);
            insta::assert_snapshot!(format!("text_{name}_{w}"), t);
        }
    }
}

#[test]
fn refund_is_marked_and_negative() {
    let r = printable(&refund_sale());
    assert!(r.flags.refund);
    assert!(r.total.is_negative());
    assert!(r.lines.iter().all(|l| l.is_return && l.total.is_negative()));
    let t = text::render(&r, 48);
    assert!(t.contains("RETUR / REFUND"));
    assert!(t.contains("Retur: Kaffe latte"));
}

#[test]
fn escpos_normal_sale_both_widths() {
    let r = printable(&normal_sale());
    for w in [48, 32] {
        let b = render(&r, &opts(w)).unwrap();
        // init, then PC865 (ESC t 5), no drawer kick without cash, full cut at the end.
        assert!(b.starts_with(&[0x1B, b'@', 0x1B, b't', 5]));
        assert!(!contains(&b, &DRAWER_KICK));
        assert!(b.ends_with(&[0x1D, b'V', b'A', 0]));
        // No UTF-8 reaches the printer: Ø is 0x9D in PC865.
        assert!(contains(&b, b"Bakeri \x9Dst AS"));
        insta::assert_snapshot!(format!("escpos_normal_{w}"), escaped(&b));
    }
}

#[test]
fn escpos_split_sale_kicks_the_drawer() {
    let r = printable(&split_sale());
    for w in [48, 32] {
        let b = render(&r, &opts(w)).unwrap();
        assert_eq!(
            &b[5..10],
            &DRAWER_KICK,
            "the full 5-byte pulse right after init"
        );
        assert_eq!(b.windows(5).filter(|x| *x == DRAWER_KICK).count(), 1);
        insta::assert_snapshot!(format!("escpos_split_{w}"), escaped(&b));
    }
    let mut no_kick = opts(48);
    no_kick.drawer_kick = false;
    assert!(!contains(&render(&r, &no_kick).unwrap(), &DRAWER_KICK));
}

#[test]
fn escpos_refund_and_training_copy() {
    for (name, r) in [
        ("refund", printable(&refund_sale())),
        ("training_copy", training_copy()),
    ] {
        for w in [48, 32] {
            let b = render(&r, &opts(w)).unwrap();
            insta::assert_snapshot!(format!("escpos_{name}_{w}"), escaped(&b));
        }
    }
    let b = render(&training_copy(), &opts(48)).unwrap();
    assert!(contains(&b, b"*** KOPI / COPY ***"));
    assert!(contains(&b, b"*** TRENING / TRAINING ***"));
    // Marks are printed reversed (GS B 1).
    assert!(contains(&b, &[0x1D, b'B', 1]));
}

#[test]
fn escpos_code128_and_wpc1252() {
    let r = printable(&normal_sale());
    let mut o = opts(48);
    o.code = PaperCode::Code128;
    o.code_page = CodePage::Wpc1252;
    let b = render(&r, &o).unwrap();
    assert!(b.starts_with(&[0x1B, b'@', 0x1B, b't', 16]));
    assert!(contains(&b, b"\x1Dk\x49\x0A{B00000042"));
    // Ø is 0xD8 in Windows-1252.
    assert!(contains(&b, b"Bakeri \xD8st AS"));
    // QR (GS ( k) absent when CODE 128 is chosen.
    assert!(!contains(&b, &[0x1D, b'(', b'k']));
}

#[test]
fn tender_errors_are_bilingual_and_name_the_field() {
    let mut s = normal_sale();
    s.tenders = vec![Tender::vipps(VIPPS_REF, Money::nok(100))];
    let e = build(&s, &shop(), Lang::Nb).unwrap_err();
    assert!(matches!(e, ReceiptError::TenderMismatch { .. }));
    let t = e.text();
    assert!(t.nb.starts_with("Betaling:") && t.en.starts_with("Tender:"));

    let mut s = split_sale();
    let rest = s.tenders[2].amount;
    s.tenders[2] = Tender::cash(rest, Money::nok(rest.minor() - 1));
    assert!(matches!(
        build(&s, &shop(), Lang::Nb).unwrap_err(),
        ReceiptError::CashShort { .. }
    ));

    let mut s = normal_sale();
    s.tenders = vec![Tender::vipps("  ", s.tenders[0].amount)];
    assert_eq!(
        build(&s, &shop(), Lang::Nb).unwrap_err(),
        ReceiptError::EmptyReference
    );
}

#[test]
fn change_is_computed() {
    let r = printable(&split_sale());
    let cash = &r.tenders[2];
    assert_eq!(cash.change.unwrap().minor(), 50_000 - cash.amount.minor());
    assert_eq!(r.change, cash.change.unwrap());
    assert!(r.has_cash());
}

#[test]
fn english_labels() {
    let r = build(&normal_sale(), &shop(), Lang::En).unwrap();
    let t = text::render(&r, 48);
    assert!(t.contains("Sales receipt") && t.contains("Total NOK") && t.contains("Tip"));
}

mod props {
    use super::*;
    use kasse::domain::basket::{Basket, OrderLine, Quantity};
    use kasse::domain::money::Currency;
    use kasse::domain::vat::VatRate;
    use kasse::receipt::ReceiptSettings;
    use kasse::receipt::model::Sale;
    use kasse::receipt::om;
    use proptest::prelude::*;

    fn arb_line() -> impl Strategy<Value = OrderLine> {
        (
            "[A-Za-zæøåÆØÅ €–“”]{1,70}",
            1u32..20,
            0i64..5_000_000,
            prop_oneof![
                Just(VatRate::STANDARD),
                Just(VatRate::FOOD),
                Just(VatRate::LOW),
                Just(VatRate::ZERO)
            ],
            any::<bool>(),
            0i64..100,
        )
            .prop_filter("name not blank", |(n, ..)| !n.trim().is_empty())
            .prop_map(|(name, q, price, vat, ret, disc_pct)| {
                let before = price * i64::from(q);
                OrderLine {
                    product_id: "p1".into(),
                    name,
                    quantity: Quantity::pieces(q).unwrap(),
                    unit_price: Money::nok(price),
                    discount: Money::nok(before * disc_pct / 100),
                    vat,
                    is_return: ret,
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_sale_renders_within_width_and_builds_a_valid_om_receipt(
            lines in proptest::collection::vec(arb_line(), 1..8),
            cash_split in 0i64..100,
        ) {
            let mut b = Basket::new(Currency::Nok);
            for l in lines { b.add(l).unwrap(); }
            let total = b.totals().unwrap().gross.minor().abs();
            let cash = total * cash_split / 100;
            let mut s: Sale = normal_sale();
            s.basket = b;
            s.tip = Money::nok(0);
            s.tenders = vec![
                Tender::vipps(VIPPS_REF, Money::nok(total - cash)),
                Tender::cash(Money::nok(cash), Money::nok(cash + 1234)),
            ];
            let r = build(&s, &shop(), Lang::Nb).unwrap();
            for w in [48usize, 32] {
                let t = text::render(&r, w);
                for l in t.lines() {
                    prop_assert!(l.chars().count() <= w, "{l:?}");
                }
                let bytes = render(&r, &opts(w)).unwrap();
                // No UTF-8 lead bytes of 3-byte sequences (€, –, “) reach the printer.
                prop_assert!(!bytes.contains(&0xE2));
                prop_assert!(contains(&bytes, &DRAWER_KICK));
            }
            let receipt = om::receipt(&s, &ReceiptSettings::default()).unwrap();
            prop_assert!(receipt.order_lines.iter().all(|l| l.identity_holds() && l.total_amount >= 0));
        }
    }
}
