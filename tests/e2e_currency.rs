//! Currency and amount limits are settled before a sale is started.
//!
//! - ePayment 5040 ("the sales unit does not take this currency") on a create fails that sale
//!   with a message naming `shop.currency` and the MSN; the next sale in that currency is refused
//!   before anything is journaled or sent.
//! - eCom / PSP refuse anything but NOK, and every API its minimum and maximum, before any sale.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::e2e as e2e_support;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use e2e_support::*;
use kasse::clock::SystemClock;
use kasse::domain::money::{Currency, Money};
use kasse::engine::acquirer::BoxFuture;
use kasse::engine::provider::{CreateSpec, Created, ErrorClass, Provider, ProviderError};
use kasse::engine::{ApiKind, EngineError, NewSaleRequest, PayMethod, PaymentState};
use kasse::lang::Text;

/// ePayment as Vipps answers for a sales unit whose market is not the sale's currency: every
/// create gets 400 with error code 5040. Counts the creates that reached it.
struct WrongMarket {
    inner: Arc<dyn Provider>,
    creates: Arc<AtomicUsize>,
}

impl Around for WrongMarket {
    fn inner(&self) -> &dyn Provider {
        &*self.inner
    }
    fn create<'a>(
        &'a self,
        _spec: &'a CreateSpec,
    ) -> BoxFuture<'a, Result<Created, ProviderError>> {
        self.creates.fetch_add(1, Ordering::SeqCst);
        Box::pin(async {
            let mut e = ProviderError::new(
                ErrorClass::Rejected,
                Text::new("Valuta støttes ikke", "Currency not supported"),
                "ePayment HTTP 400 code 5040",
            );
            e.http_status = Some(400);
            e.code = Some("5040".into());
            Err(e)
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5040_fails_the_sale_and_refuses_the_next_one_before_it_starts() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let creates = Arc::new(AtomicUsize::new(0));
    let counter = creates.clone();
    let run = run_engine(
        settings(&sim.base_url()),
        open_store(dir.path()).await,
        Arc::new(SystemClock),
        move |mut b| {
            b.epayment = Arc::new(Wrap(WrongMarket {
                inner: b.epayment.clone(),
                creates: counter,
            }));
            b
        },
    )
    .await;
    let mut rx = run.engine.subscribe();
    let id = run
        .engine
        .start_payment(sale(4990, ApiKind::Epayment, PayMethod::Qr))
        .await
        .unwrap();
    let failed = wait_state(&mut rx, id, PaymentState::Failed).await;
    assert_eq!(
        creates.load(Ordering::SeqCst),
        1,
        "the 5040 fault fired once"
    );
    let reason = failed.reason.expect("a reason");
    assert!(
        reason.en.contains(kasse::sim::DEFAULT_MSN) && reason.en.contains("shop.currency"),
        "{}",
        reason.en
    );
    assert!(reason.nb.contains("NOK"), "{}", reason.nb);

    // The next sale in NOK is refused before anything is journaled or sent.
    let err = run
        .engine
        .start_payment(sale(2500, ApiKind::Epayment, PayMethod::Qr))
        .await
        .unwrap_err();
    let EngineError::Invalid(t) = err else {
        panic!("expected Invalid, got {err:?}");
    };
    assert!(t.en.contains("does not take NOK"), "{}", t.en);
    assert_eq!(
        creates.load(Ordering::SeqCst),
        1,
        "no create for the refused sale"
    );
    let second = run.engine_store().run(|s| s.sale(2)).await.unwrap();
    assert!(second.is_none(), "nothing journaled for the refused sale");
    run.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_and_currencies_are_refused_before_a_sale_starts() {
    let sim = start_sim(sim_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let run = simple(&sim, dir.path()).await;
    let refuse = |api: ApiKind, amount: Money| {
        let engine = run.engine.clone();
        async move {
            let req = NewSaleRequest::single_amount(amount, PayMethod::Qr, api, None);
            match engine.start_payment(req).await {
                Err(EngineError::Invalid(t)) => t.en,
                other => panic!("{api:?} {amount}: expected a refusal, got {other:?}"),
            }
        }
    };
    assert!(
        refuse(ApiKind::Epayment, Money::nok(99))
            .await
            .contains("minimum")
    );
    assert!(
        refuse(ApiKind::Epayment, Money::nok(65_000_001))
            .await
            .contains("most Vipps takes")
    );
    assert!(
        refuse(ApiKind::Ecom, Money::new(5000, Currency::Dkk))
            .await
            .contains("shop.currency is DKK")
    );
    assert!(
        refuse(ApiKind::Psp, Money::new(5000, Currency::Eur))
            .await
            .contains("PSP takes NOK only")
    );
    assert!(
        run.engine_store()
            .run(|s| s.sale(1))
            .await
            .unwrap()
            .is_none()
    );
    assert!(sim.ledger().payments.is_empty());
    run.shutdown().await;
}
