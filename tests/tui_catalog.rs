#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The till with the catalogue at the counter: in-store EAN-13 labels with a printed weight or
//! price (prefixes 20–25) add the article at the label's weight/price, a misread label is a
//! clear error, and name search ignores case and accents (`polse` finds "Pølse i brød").
//! Pure `update()` tests.

mod common;
use common::tui as tui_support;
use kasse::app::catalog::parse_toml;
use kasse::domain::basket::QuantityUnit;
use kasse::domain::catalog::ean::{encode_variable_measure, with_check_digit};
use kasse::domain::money::Money;
use kasse::lang::Lang;
use kasse::tui::App;
use kasse::tui::app::ToastKind;
use kasse::tui::keymap::Mode;
use tui_support::*;

fn shop() -> App {
    let toml = format!(
        r#"
currency = "NOK"

[[product]]
plu = "3001"
ean = "{kjottdeig}"
name = "Kjøttdeig, løsvekt"
price = "199,90"
vat = 15
unit = "kg"

[[product]]
plu = "3002"
ean = "{ost}"
name = "Jarlsberg, prismerket"
price = "0"
vat = 15

[[product]]
plu = "3003"
ean = "{brus}"
name = "Brus"
price = "20"
vat = 15
"#,
        kjottdeig = with_check_digit("230004560000").unwrap(),
        ost = with_check_digit("200012340000").unwrap(),
        brus = with_check_digit("237000000000").unwrap(),
    );
    let mut c = ctx(Lang::Nb);
    c.catalog = parse_toml(&toml).unwrap();
    App::new(&c)
}

#[test]
fn a_weight_label_adds_the_weight_at_the_kilo_price() {
    let mut app = shop();
    let label = encode_variable_measure("23000456", 455).unwrap(); // 0,455 kg
    enter_text(&mut app, &label);
    assert_eq!(app.toast, None);
    assert_eq!(
        app.prompt, None,
        "no weight prompt: the label carries the weight"
    );
    let line = &app.basket.lines()[0];
    assert_eq!(line.name, "Kjøttdeig, løsvekt");
    assert_eq!(line.quantity.milli(), 455);
    assert_eq!(line.quantity.unit(), QuantityUnit::Kg);
    // 0,455 kg × 199,90 kr/kg = 90,9545 kr → 90,95 kr.
    assert_eq!(line.amounts().unwrap().gross, Money::nok(9095));
    // A second pack is a line of its own.
    let other = encode_variable_measure("23000456", 1210).unwrap();
    enter_text(&mut app, &other);
    assert_eq!(app.basket.len(), 2);
    assert_eq!(
        app.basket.lines()[1].amounts().unwrap().gross,
        Money::nok(24188)
    );
}

#[test]
fn a_price_label_adds_one_piece_at_the_printed_price() {
    let mut app = shop();
    let label = encode_variable_measure("20001234", 4990).unwrap(); // 49,90 kr
    enter_text(&mut app, &label);
    let line = &app.basket.lines()[0];
    assert_eq!(line.name, "Jarlsberg, prismerket");
    assert_eq!(line.unit_price, Money::nok(4990));
    assert_eq!(line.quantity.milli(), 1000);
}

#[test]
fn a_misread_label_says_so_and_adds_nothing() {
    let mut app = shop();
    let label = encode_variable_measure("23000456", 455).unwrap();
    let bad = format!("{}{}", &label[..12], (label.as_bytes()[12] - b'0' + 1) % 10);
    enter_text(&mut app, &bad);
    assert!(app.basket.is_empty());
    let toast = app.toast.clone().unwrap();
    assert_eq!(toast.kind, ToastKind::Error);
    assert!(
        toast.text.nb.contains("kontrollsifferet"),
        "{}",
        toast.text.nb
    );
    assert!(
        toast.text.en.contains(&format!("\"{bad}\"")),
        "{}",
        toast.text.en
    );
    // A weight label for an article sold per piece: refused, naming the article.
    let mut app = shop();
    enter_text(&mut app, &encode_variable_measure("23700000", 300).unwrap());
    assert!(app.basket.is_empty());
    assert!(
        app.toast
            .unwrap()
            .text
            .nb
            .contains("«Brus» selges per stykk")
    );
}

#[test]
fn search_ignores_case_and_norwegian_letters() {
    let mut app = app();
    enter_text(&mut app, "polse");
    assert_eq!(app.mode(), Mode::Search);
    let hits = app.search.clone().unwrap().hits;
    let names: Vec<&str> = hits
        .iter()
        .map(|i| app.catalog.get(*i).unwrap().name.as_str())
        .collect();
    assert_eq!(names, vec!["Pølse i brød"]);
    let mut app = tui_support::app();
    enter_text(&mut app, "SMAGODT");
    assert_eq!(app.search.as_ref().unwrap().hits.len(), 1);
}
