#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A catalogue applied from headquarters while the till runs (`AppEvent::CatalogChanged`): the
//! screen sells from it at once — a line scanned afterwards has the new price, a line already
//! in the basket keeps the price it was registered at — and the cashier is told.

mod common;
use common::tui as tui_support;
use kasse::app::catalog_store::{merged, to_articles};
use kasse::domain::money::Currency;
use kasse::lang::Lang;
use kasse::tui::{App, AppEvent, Msg, NewCatalog, update};
use tui_support::{KVIKK, ctx, enter_text};

#[test]
fn a_catalogue_from_hq_applies_to_the_next_scan_and_is_told() {
    let mut app = App::new(&ctx(Lang::En));
    enter_text(&mut app, KVIKK);
    let before = app.basket.lines()[0].unit_price.minor();
    assert_eq!(before, 2490);

    // HQ changed Kvikk Lunsj to kr 26,90.
    let mut articles = to_articles(&app.catalog);
    let kvikk = articles
        .iter_mut()
        .find(|a| a.ean.as_deref() == Some(KVIKK))
        .unwrap();
    kvikk.price = 2690;
    let catalog = merged(Currency::Nok, &articles, &[]).unwrap();
    let cmds = update(
        &mut app,
        Msg::App(AppEvent::CatalogChanged {
            catalog: NewCatalog(std::sync::Arc::new(catalog)),
            versions: vec![7],
        }),
    );
    assert!(cmds.is_empty(), "{cmds:?}");
    let toast = app.toast.as_ref().expect("told").text.en.clone();
    assert!(toast.contains("version 7"), "{toast}");

    enter_text(&mut app, KVIKK);
    let prices: Vec<i64> = app
        .basket
        .lines()
        .iter()
        .map(|l| l.unit_price.minor())
        .collect();
    assert!(
        prices.contains(&2490) && prices.contains(&2690),
        "{prices:?}"
    );
}
