#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Basket totals, VAT breakdown, receipt lines, catalog and references.

use kasse::domain::basket::{
    Basket, BasketError, Catalog, OrderLine, Product, Quantity, QuantityUnit,
};
use kasse::domain::money::{Currency, Money};
use kasse::domain::receipt::receipt_total;
use kasse::domain::reference::{Reference, op_key};
use kasse::domain::vat::VatRate;
use kasse::store::make_reference;
use proptest::prelude::*;

fn line(id: &str, price: i64, milli: i64, unit: QuantityUnit, vat: VatRate) -> OrderLine {
    OrderLine {
        product_id: id.into(),
        name: format!("Vare {id}"),
        quantity: Quantity::new(milli, unit).unwrap(),
        unit_price: Money::nok(price),
        discount: Money::nok(0),
        vat,
        is_return: false,
    }
}

#[test]
fn a_mixed_basket_totals_and_breaks_down_vat() {
    let mut b = Basket::new(Currency::Nok);
    b.add(line("1", 4990, 2000, QuantityUnit::Pcs, VatRate::STANDARD))
        .unwrap(); // 99.80
    b.add(line("2", 3990, 450, QuantityUnit::Kg, VatRate::FOOD))
        .unwrap(); // 17.955 -> 17.96
    let i = b
        .add(line("3", 1000, 1000, QuantityUnit::Pcs, VatRate::FOOD))
        .unwrap();
    b.set_return(i, true).unwrap(); // -10.00
    let t = b.totals().unwrap();
    assert_eq!(t.gross, Money::nok(9980 + 1796 - 1000));
    // VAT: 9980*25/125 = 1996; 1796*15/115 = 234.26 -> 234; 1000*15/115 = 130.43 -> 130
    assert_eq!(t.vat, Money::nok(1996 + 234 - 130));
    assert_eq!(t.net, Money::nok(t.gross.minor() - t.vat.minor()));
    assert_eq!(t.per_rate.len(), 2);
    assert_eq!(t.per_rate[0].rate, VatRate::STANDARD);
    assert_eq!(t.per_rate[1].gross, Money::nok(1796 - 1000));
    assert_eq!(t.per_rate[1].vat, Money::nok(234 - 130));

    let r = b.receipt_lines().unwrap();
    assert_eq!(r[1].quantity, "0.45");
    assert_eq!(r[1].quantity_unit, QuantityUnit::Kg);
    assert_eq!(r[1].total_amount, 1796);
    assert_eq!(r[2].total_amount, 1000);
    assert!(r[2].is_return);
    assert_eq!(receipt_total(&r).unwrap(), t.gross.minor());
}

#[test]
fn discount_is_applied_to_the_line_and_cannot_exceed_it() {
    let mut b = Basket::new(Currency::Nok);
    let i = b
        .add(line("1", 5000, 2000, QuantityUnit::Pcs, VatRate::STANDARD))
        .unwrap();
    b.set_discount(i, Money::nok(1500)).unwrap();
    let a = b.lines()[i].amounts().unwrap();
    assert_eq!(a.before_discount, Money::nok(10_000));
    assert_eq!(a.gross, Money::nok(8_500));
    let before = b.clone();
    assert_eq!(
        b.set_discount(i, Money::nok(10_001)),
        Err(BasketError::DiscountExceedsLine {
            discount: Money::nok(10_001),
            line: Money::nok(10_000)
        })
    );
    assert_eq!(b, before, "a failed mutation leaves the basket unchanged");
    b.set_discount(i, Money::nok(6000)).unwrap();
    // One piece (50,00) would leave a discount larger than the line: refused.
    assert!(matches!(
        b.set_quantity(i, Quantity::pieces(1).unwrap()),
        Err(BasketError::DiscountExceedsLine { .. })
    ));
    b.set_discount(i, Money::nok(1500)).unwrap();
    assert!(matches!(
        b.set_discount(i, Money::nok(-1)),
        Err(BasketError::NegativeDiscount(_))
    ));
    let r = b.receipt_lines().unwrap();
    assert_eq!(r[0].discount, 1500);
    assert_eq!(r[0].unit_price, 5000);
    assert_eq!(r[0].total_amount, 8500);
}

#[test]
fn invalid_lines_are_refused_with_reasons() {
    let mut b = Basket::new(Currency::Nok);
    let mut l = line("1", 100, 1000, QuantityUnit::Pcs, VatRate::STANDARD);
    l.unit_price = Money::new(100, Currency::Eur);
    assert!(matches!(
        b.add(l),
        Err(BasketError::CurrencyMismatch { .. })
    ));
    let mut l = line("1", -100, 1000, QuantityUnit::Pcs, VatRate::STANDARD);
    assert!(matches!(
        b.add(l.clone()),
        Err(BasketError::NegativePrice(_))
    ));
    l.unit_price = Money::nok(100);
    l.name = "  ".into();
    assert_eq!(b.add(l.clone()), Err(BasketError::EmptyName));
    l.name = "x".into();
    l.product_id = "".into();
    assert_eq!(b.add(l), Err(BasketError::EmptyId));
    assert_eq!(b.remove(0), Err(BasketError::NoSuchLine { index: 0 }));
    assert!(b.is_empty());
    for e in [
        BasketError::EmptyName,
        BasketError::Overflow,
        BasketError::QuantityNotWhole,
    ] {
        let t = e.text();
        assert!(!t.nb.is_empty() && t.en == e.to_string());
    }
}

#[test]
fn quantities_parse_and_print_for_receipts() {
    let q = Quantity::parse_input("0,450", QuantityUnit::Kg).unwrap();
    assert_eq!(q.milli(), 450);
    assert_eq!(q.to_receipt_string(), "0.45");
    assert_eq!(q.to_string(), "0,45 kg");
    assert_eq!(
        Quantity::parse_input("2", QuantityUnit::Pcs)
            .unwrap()
            .to_receipt_string(),
        "2"
    );
    assert_eq!(
        Quantity::parse_input("1.5", QuantityUnit::Litre)
            .unwrap()
            .milli(),
        1500
    );
    assert_eq!(
        Quantity::parse_input("1,5", QuantityUnit::Pcs),
        Err(BasketError::QuantityNotWhole)
    );
    assert_eq!(
        Quantity::parse_input("0,0001", QuantityUnit::Kg),
        Err(BasketError::QuantityTooManyDecimals)
    );
    assert_eq!(
        Quantity::parse_input("0", QuantityUnit::Kg),
        Err(BasketError::QuantityNotPositive)
    );
    assert_eq!(
        Quantity::parse_input("-1", QuantityUnit::Kg),
        Err(BasketError::QuantityNotPositive)
    );
    assert_eq!(
        Quantity::parse_input("100000", QuantityUnit::Kg),
        Err(BasketError::QuantityTooLarge)
    );
    assert!(matches!(
        Quantity::parse_input("two", QuantityUnit::Pcs),
        Err(BasketError::QuantityInvalid { .. })
    ));
    let max = Quantity::new(Quantity::MAX_MILLI, QuantityUnit::Kg).unwrap();
    assert_eq!(max.to_receipt_string(), "99999.999");
}

#[test]
fn catalog_finds_by_code_and_searches_names() {
    let c = Catalog::new(vec![
        Product {
            id: "7038010009457".into(),
            name: "Melk lett 1 l".into(),
            price: Money::nok(2490),
            vat: VatRate::FOOD,
            unit: QuantityUnit::Pcs,
        },
        Product {
            id: "2001".into(),
            name: "Epler røde".into(),
            price: Money::nok(3990),
            vat: VatRate::FOOD,
            unit: QuantityUnit::Kg,
        },
    ]);
    assert_eq!(c.find_by_code(" 2001 ").unwrap().name, "Epler røde");
    assert!(c.find_by_code("").is_none());
    assert!(c.find_by_code("200").is_none());
    assert_eq!(c.search("EPLER").len(), 1);
    assert_eq!(c.search("RØDE").len(), 1);
    assert_eq!(c.search("7038").len(), 1);
    assert_eq!(c.search("").len(), 2);
    let mut b = Basket::new(Currency::Nok);
    assert!(matches!(
        b.add_product(
            c.find_by_code("2001").unwrap(),
            Quantity::pieces(1).unwrap()
        ),
        Err(BasketError::UnitMismatch { .. })
    ));
    b.add_product(
        c.find_by_code("2001").unwrap(),
        Quantity::new(1250, QuantityUnit::Kg).unwrap(),
    )
    .unwrap();
    assert_eq!(b.totals().unwrap().gross, Money::nok(4988)); // 49.875 -> 49.88
    let json = serde_json::to_string(&c).unwrap();
    assert_eq!(serde_json::from_str::<Catalog>(&json).unwrap(), c);
}

fn vat_rate() -> impl Strategy<Value = VatRate> {
    prop_oneof![
        Just(VatRate::STANDARD),
        Just(VatRate::FOOD),
        Just(VatRate::LOW),
        Just(VatRate::ZERO)
    ]
}

fn unit() -> impl Strategy<Value = QuantityUnit> {
    prop_oneof![
        Just(QuantityUnit::Pcs),
        Just(QuantityUnit::Kg),
        Just(QuantityUnit::Litre),
        Just(QuantityUnit::Kwh)
    ]
}

prop_compose! {
    fn order_line()(
        id in "[0-9]{1,13}",
        price in 0i64..=10_000_000,
        qty in 1i64..=9_999_000,
        unit in unit(),
        vat in vat_rate(),
        disc_permille in 0i64..=1000,
        is_return in any::<bool>(),
    ) -> OrderLine {
        let milli = if unit == QuantityUnit::Pcs { (qty / 1000).max(1) * 1000 } else { qty };
        let before = (i128::from(price) * i128::from(milli) + 500) / 1000;
        let discount = i64::try_from(before * i128::from(disc_permille) / 1000).unwrap();
        OrderLine {
            product_id: id.clone(),
            name: format!("Vare {id}"),
            quantity: Quantity::new(milli, unit).unwrap(),
            unit_price: Money::nok(price),
            discount: Money::nok(discount),
            vat,
            is_return,
        }
    }
}

proptest! {
    #[test]
    fn receipt_lines_satisfy_the_identity_and_sum_to_the_charge(
        lines in proptest::collection::vec(order_line(), 1..30)
    ) {
        let mut b = Basket::new(Currency::Nok);
        for l in lines {
            b.add(l).unwrap();
        }
        let totals = b.totals().unwrap();
        let receipt = b.receipt_lines().unwrap();
        prop_assert_eq!(receipt.len(), b.len());
        for r in &receipt {
            prop_assert_eq!(r.total_amount - r.total_amount_excluding_tax, r.total_tax_amount);
            prop_assert!(r.total_amount >= 0 && r.total_amount_excluding_tax >= 0);
            prop_assert!(r.total_tax_amount >= 0 && r.discount >= 0 && r.unit_price >= 0);
            prop_assert!(r.quantity.len() <= 10);
            let (int, frac) = r.quantity.split_once('.').unwrap_or((&r.quantity, "1"));
            prop_assert!(!int.is_empty() && int.chars().all(|c| c.is_ascii_digit()));
            prop_assert!((1..=8).contains(&frac.len()) && frac.chars().all(|c| c.is_ascii_digit()));
        }
        prop_assert_eq!(receipt_total(&receipt).unwrap(), totals.gross.minor());
        let vat_sum: i64 = receipt.iter().map(|r| if r.is_return { -r.total_tax_amount } else { r.total_tax_amount }).sum();
        prop_assert_eq!(vat_sum, totals.vat.minor());
        // Per-rate breakdown sums to the totals; gross = net + VAT per rate.
        let mut g = 0i64;
        let mut v = 0i64;
        let mut n = 0i64;
        for br in &totals.per_rate {
            prop_assert_eq!(br.gross.minor(), br.net.minor() + br.vat.minor());
            g += br.gross.minor();
            v += br.vat.minor();
            n += br.net.minor();
        }
        prop_assert_eq!(g, totals.gross.minor());
        prop_assert_eq!(v, totals.vat.minor());
        prop_assert_eq!(n, totals.net.minor());
        prop_assert_eq!(totals.gross.minor(), totals.net.minor() + totals.vat.minor());
    }

    #[test]
    fn add_then_remove_restores_the_basket(
        lines in proptest::collection::vec(order_line(), 0..10),
        extra in order_line(),
    ) {
        let mut b = Basket::new(Currency::Nok);
        for l in lines {
            b.add(l).unwrap();
        }
        let before = b.clone();
        let totals_before = b.totals().unwrap();
        let i = b.add(extra.clone()).unwrap();
        prop_assert_eq!(b.remove(i).unwrap(), extra);
        prop_assert_eq!(&b, &before);
        prop_assert_eq!(b.totals().unwrap(), totals_before);
    }

    #[test]
    fn mutations_never_panic_and_fail_atomically(
        lines in proptest::collection::vec(order_line(), 1..8),
        idx in 0usize..10,
        price in any::<i64>(),
        discount in any::<i64>(),
        milli in any::<i64>(),
    ) {
        let mut b = Basket::new(Currency::Nok);
        for l in lines {
            b.add(l).unwrap();
        }
        for op in 0..3 {
            let before = b.clone();
            let r = match op {
                0 => b.set_price(idx, Money::nok(price)),
                1 => b.set_discount(idx, Money::nok(discount)),
                _ => match Quantity::new(milli, QuantityUnit::Kg) {
                    Ok(q) => b.set_quantity(idx, q),
                    Err(e) => Err(e),
                },
            };
            if r.is_err() {
                prop_assert_eq!(&b, &before);
            }
            // Whatever happened, the basket still computes.
            prop_assert!(b.totals().is_ok());
            prop_assert!(b.receipt_lines().is_ok());
        }
    }

    #[test]
    fn op_keys_are_at_most_50_chars_and_deterministic(
        shop in "[A-Za-z0-9]{1,12}",
        till in "[A-Za-z0-9]{1,12}",
        inst in "[a-z0-9]{8}",
        seq in 1_i64..=i64::MAX,
        attempt in 1_i64..=99_999,
        op in "[a-z]{0,30}",
        n in any::<u32>(),
    ) {
        // The references the store mints (the only place references are made).
        let r = make_reference(&shop, &till, &inst, seq, attempt).unwrap();
        let r = Reference::new(r).unwrap();
        prop_assert!(r.as_str().len() <= 50 && r.as_str().len() >= 8);
        prop_assert!(r.as_str().starts_with("kasse-"));
        let k = op_key(&r, &op, n);
        prop_assert!(k.as_str().len() <= 50, "{}", k);
        prop_assert!(k.as_str().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        prop_assert_eq!(&k, &op_key(&r, &op, n));
        prop_assert_ne!(&k, &op_key(&r, &op, n.wrapping_add(1)));
    }

    #[test]
    fn references_differ_by_install_sequence_and_attempt(
        shop in "[a-z0-9]{1,12}", till in "[a-z0-9]{1,12}", a in "[a-z0-9]{8}", b in "[a-z0-9]{8}",
        seq in 1i64..10_000_000_000, attempt in 1i64..1000
    ) {
        let r = make_reference(&shop, &till, &a, seq, attempt).unwrap();
        prop_assert!(r.len() <= 50);
        prop_assert_ne!(&r, &make_reference(&shop, &till, &a, seq, attempt + 1).unwrap());
        prop_assert_ne!(&r, &make_reference(&shop, &till, &a, seq + 1, attempt).unwrap());
        if a != b {
            prop_assert_ne!(&r, &make_reference(&shop, &till, &b, seq, attempt).unwrap());
        }
    }
}
