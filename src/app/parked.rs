//! Parked and voided baskets: the screen's `ParkBasket`, `ResumeParked`, `VoidBasket` and
//! `ListParked` commands against the journal (`store::parked`), off the UI task.

use crate::domain::money::{Currency, Money};
use crate::engine::Engine;
use crate::lang::Text;
use crate::store::parked::{BasketActor, ParkedRow};
use crate::store::{AsyncStore, StoreError};
use crate::tui::{AppEvent, Command, ParkedBasket};

fn listed(rows: Vec<ParkedRow>) -> Vec<ParkedBasket> {
    rows.into_iter()
        .filter_map(|r| {
            let currency = Currency::parse(&r.currency)?;
            Some(ParkedBasket {
                id: r.id,
                name: r.name,
                parked_at: r.parked_at,
                lines: usize::try_from(r.lines).unwrap_or(0),
                total: Money::new(r.total_minor, currency),
            })
        })
        .collect()
}

fn failed(what: (&str, &str), e: &StoreError) -> Text {
    let m = e.message();
    Text::new(
        format!("{}: {}", what.0, m.nb),
        format!("{}: {}", what.1, m.en),
    )
}

/// The parked baskets now waiting.
pub async fn list(store: &AsyncStore) -> Result<Vec<ParkedBasket>, Text> {
    store
        .run(|s| s.parked_baskets())
        .await
        .map(listed)
        .map_err(|e| {
            failed(
                (
                    "Parkerte kurver kan ikke leses",
                    "Parked baskets cannot be read",
                ),
                &e,
            )
        })
}

/// Run one of the basket commands; `Err(cmd)` hands any other command back.
pub async fn execute(engine: &Engine, cmd: Command) -> Result<Option<AppEvent>, Command> {
    let store = engine.store();
    let (shop, till, training) = engine.identity();
    let at = engine.now();
    match cmd {
        Command::ListParked => Ok(Some(match list(&store).await {
            Ok(l) => AppEvent::ParkedList(l),
            Err(t) => AppEvent::Error(t),
        })),
        Command::ParkBasket {
            name,
            basket,
            staff_id,
        } => {
            let kept = basket.clone();
            let r = store
                .run(move |s| {
                    let a = BasketActor {
                        shop_id: &shop,
                        till_id: &till,
                        at,
                        staff_id: staff_id.as_deref(),
                        training,
                    };
                    s.park_basket(&a, &name, &basket)?;
                    s.parked_baskets()
                })
                .await;
            Ok(Some(AppEvent::Parked(match r {
                Ok(rows) => Ok(listed(rows)),
                Err(e) => Err((
                    kept,
                    failed(("Kurven ble ikke parkert", "The basket was not parked"), &e),
                )),
            })))
        }
        Command::ResumeParked { id, staff_id } => {
            let r = store
                .run(move |s| {
                    let a = BasketActor {
                        shop_id: &shop,
                        till_id: &till,
                        at,
                        staff_id: staff_id.as_deref(),
                        training,
                    };
                    let row = s.resume_parked(&a, id)?;
                    Ok((row.basket, s.parked_baskets()?))
                })
                .await;
            Ok(Some(AppEvent::Resumed(match r {
                Ok((basket, rows)) => Ok((basket, listed(rows))),
                Err(e) => Err(failed(
                    (
                        "Den parkerte kurven kan ikke hentes",
                        "The parked basket cannot be recalled",
                    ),
                    &e,
                )),
            })))
        }
        Command::VoidBasket { basket, staff_id } => {
            let r = store
                .run(move |s| {
                    let a = BasketActor {
                        shop_id: &shop,
                        till_id: &till,
                        at,
                        staff_id: staff_id.as_deref(),
                        training,
                    };
                    s.void_basket(&a, &basket)
                })
                .await;
            Ok(Some(AppEvent::Voided(r.map(|_| ()).map_err(|e| {
                failed(
                    (
                        "Annulleringen ble ikke journalført",
                        "The void was not journaled",
                    ),
                    &e,
                )
            }))))
        }
        other => Err(other),
    }
}
