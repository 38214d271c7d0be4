//! The imperative shell: terminal, input thread, tick, channels. Everything here is IO; all
//! decisions are in [`crate::tui::update()`].

use crate::lang::Text;
use crate::tui::app::{App, RunContext};
use crate::tui::msg::{AppEvent, Command, Msg};
use crate::tui::terminal::TerminalGuard;
use crate::tui::update::update;
use crate::tui::view;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

/// Why the screen stopped.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("terminal error: {0}. Run kasse in a real terminal (not a pipe), at least 80×24")]
    Terminal(#[from] std::io::Error),
    #[error("the terminal stopped delivering input (closed or hung up); see the log file")]
    InputClosed,
}

/// Reads terminal events on a plain thread (crossterm's read blocks) and forwards them.
/// Stops when `stop` is set or the receiver is gone.
fn spawn_input_thread(tx: UnboundedSender<Msg>, stop: Arc<AtomicBool>) {
    let spawned = std::thread::Builder::new()
        .name("kasse-input".to_string())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match event::poll(std::time::Duration::from_millis(100)) {
                    Ok(true) => {
                        let msg = match event::read() {
                            Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => Msg::Key(k),
                            Ok(Event::Paste(s)) => Msg::Paste(s),
                            Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
                            Ok(_) => continue,
                            Err(e) => {
                                tracing::error!(error = %e, "terminal read failed");
                                break;
                            }
                        };
                        if tx.send(msg).is_err() {
                            break;
                        }
                    }
                    Ok(false) => {}
                    Err(e) => {
                        tracing::error!(error = %e, "terminal poll failed");
                        break;
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the input thread");
    }
}

/// Run the cashier's screen until the user quits.
///
/// `commands` carries effects to the engine; `events` brings its results back. The screen is
/// redrawn once per drained batch of messages; a `Tick` (every `ctx.tick`) drives countdowns,
/// the clock and kiosk timers. The terminal is restored on return, on error and on panic.
pub async fn run(
    ctx: RunContext,
    commands: UnboundedSender<Command>,
    events: UnboundedReceiver<AppEvent>,
) -> Result<(), TuiError> {
    run_observed(ctx, commands, events, |_| {}).await
}

/// [`run`], calling `observe` with the model once at the start and after every batch of
/// updates (the customer display publishes its view from there). `observe` must not block.
pub async fn run_observed(
    ctx: RunContext,
    commands: UnboundedSender<Command>,
    mut events: UnboundedReceiver<AppEvent>,
    mut observe: impl FnMut(&App),
) -> Result<(), TuiError> {
    let mut app = App::new(&ctx);
    observe(&app);
    let mut guard = TerminalGuard::enter()?;
    let (term_tx, mut term_rx) = unbounded_channel::<Msg>();
    let stop = Arc::new(AtomicBool::new(false));
    spawn_input_thread(term_tx, stop.clone());
    let mut tick = tokio::time::interval(ctx.tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut engine_open = true;
    let mut lockout = (app.pin_failures, app.pin_locked_until);
    let result = loop {
        if let Err(e) = guard.terminal.draw(|f| view::render(&app, f)) {
            break Err(TuiError::Terminal(e));
        }
        let first = tokio::select! {
            m = term_rx.recv() => match m {
                Some(m) => m,
                None => break Err(TuiError::InputClosed),
            },
            ev = events.recv(), if engine_open => match ev {
                Some(ev) => Msg::App(ev),
                None => {
                    engine_open = false;
                    Msg::App(AppEvent::Error(Text::new(
                        "Betalingsmotoren har stoppet. Avslutt og start kassen på nytt.",
                        "The payment engine has stopped. Quit and start the till again.",
                    )))
                }
            },
            _ = tick.tick() => Msg::App(AppEvent::Tick(ctx.clock.now())),
        };
        let mut batch = vec![first];
        while let Ok(m) = term_rx.try_recv() {
            batch.push(m);
        }
        while let Ok(ev) = events.try_recv() {
            batch.push(Msg::App(ev));
        }
        let mut quit = false;
        for msg in batch {
            for cmd in update(&mut app, msg) {
                if cmd == Command::Quit {
                    quit = true;
                }
                if commands.send(cmd).is_err() && !quit {
                    tracing::warn!("engine channel closed; command dropped");
                    update(
                        &mut app,
                        Msg::App(AppEvent::Error(Text::new(
                            "Betalingsmotoren svarer ikke. Avslutt og start kassen på nytt.",
                            "The payment engine does not answer. Quit and start the till again.",
                        ))),
                    );
                }
            }
        }
        // The kiosk PIN lockout survives a restart: save it whenever it changed.
        if ctx.kiosk.is_some() && (app.pin_failures, app.pin_locked_until) != lockout {
            lockout = (app.pin_failures, app.pin_locked_until);
            let _ = commands.send(Command::SaveKioskLockout {
                failures: lockout.0,
                locked_until: lockout.1,
            });
        }
        observe(&app);
        if quit {
            break Ok(());
        }
    };
    stop.store(true, Ordering::Relaxed);
    drop(guard);
    result
}
