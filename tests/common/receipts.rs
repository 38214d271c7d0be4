//! Shared fixtures for the receipt tests (tests/receipt_*.rs).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use kasse::domain::basket::{Basket, OrderLine, Quantity, QuantityUnit};
use kasse::domain::money::{Currency, Money};
use kasse::domain::reference::ReceiptNumber;
use kasse::domain::vat::VatRate;
use kasse::lang::Lang;
use kasse::receipt::ShopInfo;
use kasse::receipt::model::{PrintableReceipt, Sale, Tender, build, refund_basket};
use time::macros::datetime;

pub const VIPPS_REF: &str = "kasse-bakerist-t1-000042-a1";

pub fn shop() -> ShopInfo {
    ShopInfo {
        name: "Bakeri Øst AS".into(),
        address: vec!["Storgata 1".into(), "0155 Oslo".into()],
        org_number: "987654321".into(),
        vat_registered: true,
        contact: Some("Tlf. 22 33 44 55".into()),
    }
}

fn line(id: &str, name: &str, q: Quantity, price: i64, discount: i64, vat: VatRate) -> OrderLine {
    OrderLine {
        product_id: id.into(),
        name: name.into(),
        quantity: q,
        unit_price: Money::nok(price),
        discount: Money::nok(discount),
        vat,
        is_return: false,
    }
}

/// Coffee (25 %), a bun with a discount (15 %), apples by weight (15 %), a long name.
pub fn basket() -> Basket {
    let mut b = Basket::new(Currency::Nok);
    b.add(line(
        "7038010000010",
        "Kaffe latte",
        Quantity::pieces(2).unwrap(),
        4500,
        0,
        VatRate::STANDARD,
    ))
    .unwrap();
    b.add(line(
        "2001",
        "Skolebolle",
        Quantity::pieces(3).unwrap(),
        3200,
        600,
        VatRate::FOOD,
    ))
    .unwrap();
    b.add(line(
        "2002",
        "Epler Røde (Åkerø)",
        Quantity::new(450, QuantityUnit::Kg).unwrap(),
        3990,
        0,
        VatRate::FOOD,
    ))
    .unwrap();
    b.add(line(
        "3001",
        "Gavepose med bånd, ekstra stor størrelse for kaker",
        Quantity::pieces(1).unwrap(),
        1500,
        0,
        VatRate::STANDARD,
    ))
    .unwrap();
    b
}

pub fn gross(b: &Basket) -> Money {
    b.totals().unwrap().gross
}

fn sale(basket: Basket, tenders: Vec<Tender>, tip: i64) -> Sale {
    Sale {
        basket,
        tenders,
        tip: Money::nok(tip),
        receipt_number: ReceiptNumber(42).to_string(),
        time: datetime!(2026-11-21 13:45:12 +01:00),
        till: "t1".into(),
        cashier: "Kari".into(),
        training: false,
        cash_rounding: Money::nok(0),
    }
}

/// Everything paid with Vipps, with a tip of 20,00.
pub fn normal_sale() -> Sale {
    let b = basket();
    let total = gross(&b).minor() + 2000;
    sale(b, vec![Tender::vipps(VIPPS_REF, Money::nok(total))], 2000)
}

/// 100,00 Vipps, 50,00 card, the rest cash from a 500-note.
pub fn split_sale() -> Sale {
    let b = basket();
    let rest = gross(&b).minor() - 10_000 - 5_000;
    sale(
        b,
        vec![
            Tender::vipps(VIPPS_REF, Money::nok(10_000)),
            Tender::card(Money::nok(5_000)),
            Tender::cash(Money::nok(rest), Money::nok(50_000)),
        ],
        0,
    )
}

/// The refund of the normal sale's goods, paid back to Vipps.
pub fn refund_sale() -> Sale {
    let b = refund_basket(&basket()).unwrap();
    let back = -gross(&b).minor();
    let mut s = sale(b, vec![Tender::vipps(VIPPS_REF, Money::nok(back))], 0);
    s.receipt_number = ReceiptNumber(43).to_string();
    s
}

/// A training sale, reprinted (COPY).
pub fn training_copy() -> PrintableReceipt {
    let mut s = normal_sale();
    s.training = true;
    build(&s, &shop(), Lang::Nb).unwrap().as_copy()
}

pub fn printable(s: &Sale) -> PrintableReceipt {
    build(s, &shop(), Lang::Nb).unwrap()
}
