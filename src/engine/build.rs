//! Wiring: build the API facade, the providers, the PSP makePaymentUrl server and the engine
//! from one settings struct (the app maps `config::Config` onto it; tests fill it directly).

use crate::api::{ApiSettings, Vipps};
use crate::clock::Clock;
use crate::engine::acquirer::{Acquirer, BoxFuture};
use crate::engine::core::{Backends, Engine, EngineConfig, EngineError};
use crate::engine::events::RecoveredSale;
use crate::engine::psp_server::{
    self, MakePaymentOutcome, PspBook, PspPaymentInfo, PspServer, PspServerConfig,
};
use crate::engine::vipps::{EcomProvider, EpaymentProvider, OmReceipts, PspProvider};
use crate::lang::Text;
use crate::store::{AsyncStore, NewOperation, OpOutcome, PayState};
use std::sync::Arc;

/// Everything needed to run the engine against Vipps (or the simulator).
#[derive(Debug, Clone)]
pub struct ConnectSettings {
    pub api: ApiSettings,
    pub engine: EngineConfig,
    /// eCom `merchantInfo.callbackPrefix` (https; kasse polls, callbacks are optional).
    pub ecom_callback_prefix: String,
    /// eCom `merchantInfo.fallBack`.
    pub ecom_fallback_url: String,
    /// PSP `pspRedirectUrl`.
    pub psp_redirect_url: String,
    /// The makePaymentUrl server (listen address, public URL, token). `None` (every API but
    /// PSP): no listener is started, so a busy port cannot stop an ePayment or eCom till.
    pub psp_server: Option<PspServerConfig>,
    /// Order Management category image: (`imageId`, base64 PNG/JPEG).
    pub category_image: Option<(String, String)>,
}

/// A running engine with its PSP server. Drop or call [`Running::shutdown`] to stop.
#[derive(Debug)]
pub struct Running {
    pub engine: Engine,
    pub recovered: Vec<RecoveredSale>,
    /// The PSP makePaymentUrl server, when the settings asked for one.
    pub psp_server: Option<PspServer>,
    pub vipps: Vipps,
}

impl Running {
    /// The journal the engine writes (for listing, reports and tests).
    pub fn engine_store(&self) -> AsyncStore {
        self.engine.store()
    }

    pub async fn shutdown(self) {
        self.engine.shutdown();
        if let Some(server) = self.psp_server {
            server.shutdown().await;
        }
    }
}

/// The journal side of the makePayment server.
#[derive(Clone)]
pub struct StoreBook {
    pub store: AsyncStore,
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for StoreBook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreBook").finish_non_exhaustive()
    }
}

impl PspBook for StoreBook {
    fn lookup<'a>(&'a self, psp_transaction_id: &'a str) -> BoxFuture<'a, Option<PspPaymentInfo>> {
        Box::pin(async move {
            let id = psp_transaction_id.to_owned();
            let rows = self.store.run(|s| s.unfinished_payments()).await.ok()?;
            let p = rows.into_iter().find(|p| {
                p.psp_transaction_id.as_deref() == Some(id.as_str())
                    && matches!(
                        p.state,
                        PayState::Creating | PayState::WaitingUser | PayState::WaitingApproval
                    )
            })?;
            let currency = crate::domain::money::Currency::parse(&p.currency)?;
            Some(PspPaymentInfo {
                reference: p.reference,
                amount: crate::domain::money::Money::new(p.amount, currency),
            })
        })
    }

    fn record<'a>(
        &'a self,
        psp_transaction_id: &'a str,
        outcome: MakePaymentOutcome,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let id = psp_transaction_id.to_owned();
            let now = self.clock.now();
            let r = self
                .store
                .run(move |s| {
                    let p = s
                        .unfinished_payments()?
                        .into_iter()
                        .find(|p| p.psp_transaction_id.as_deref() == Some(id.as_str()));
                    let (detail, outcome) = match &outcome {
                        MakePaymentOutcome::Approved { authorization_code } => (
                            format!("makePayment {id}: acquirer approved ({authorization_code})"),
                            OpOutcome::Ok,
                        ),
                        MakePaymentOutcome::Declined { error_id, text } => (
                            format!("makePayment {id}: FAIL {error_id} {text}"),
                            OpOutcome::Info,
                        ),
                    };
                    s.record_operation(&NewOperation {
                        sale_id: p.as_ref().map(|p| p.sale_id),
                        payment_id: p.as_ref().map(|p| p.id),
                        detail: Some(detail),
                        ..NewOperation::new("make_payment", outcome, now)
                    })
                })
                .await;
            if let Err(e) = r {
                tracing::error!(error = %e, "cannot journal makePayment");
            }
        })
    }
}

/// Build everything and start: the PSP server first (its URL goes into PSP init), then the
/// engine (which runs recovery).
pub async fn connect(
    settings: ConnectSettings,
    store: AsyncStore,
    clock: Arc<dyn Clock>,
    acquirer: Arc<dyn Acquirer>,
) -> Result<Running, EngineError> {
    connect_with(settings, store, clock, acquirer, |b| b).await
}

/// [`connect`] with a hook to wrap the backends (tests inject faults around one call).
pub async fn connect_with(
    settings: ConnectSettings,
    store: AsyncStore,
    clock: Arc<dyn Clock>,
    acquirer: Arc<dyn Acquirer>,
    wrap: impl FnOnce(Backends) -> Backends,
) -> Result<Running, EngineError> {
    let vipps = Vipps::with_parts(
        settings.api.clone(),
        Arc::new(crate::api::access_token::TokenCache::new()),
        clock.clone(),
        Arc::new(crate::api::retry::RandomJitter),
    )
    .map_err(|e| EngineError::Other(e.cashier_message()))?;
    let book = Arc::new(StoreBook {
        store: store.clone(),
        clock: clock.clone(),
    });
    let server = match settings.psp_server.clone() {
        None => None,
        Some(cfg) => Some(
            psp_server::serve(cfg, settings.api.msn.clone(), acquirer.clone(), book)
                .await
                .map_err(|e| {
                    EngineError::Other(Text::new(
                        format!("Kan ikke starte PSP-endepunktet: {}", e.text().nb),
                        format!("Cannot start the PSP endpoint: {}", e.text().en),
                    ))
                })?,
        ),
    };
    // Without a server (not PSP) a PSP init has no makePaymentUrl; the provider is never
    // chosen then, and an old PSP sale in recovery only reads and cancels.
    let make_payment = server
        .as_ref()
        .zip(settings.psp_server.as_ref())
        .map(|(srv, cfg)| (srv.public_url().to_owned(), cfg.token.clone()));
    let psp = Arc::new(PspProvider {
        vipps: vipps.clone(),
        acquirer: acquirer.clone(),
        make_payment_url: make_payment
            .as_ref()
            .map(|(url, _)| url.clone())
            .unwrap_or_default(),
        make_payment_token: make_payment
            .as_ref()
            .map(|(_, token)| token.clone())
            .unwrap_or_else(|| secrecy::SecretString::from(String::new())),
        redirect_url: settings.psp_redirect_url.clone(),
    });
    let backends = Backends {
        epayment: Arc::new(EpaymentProvider {
            vipps: vipps.clone(),
        }),
        ecom: Arc::new(EcomProvider {
            vipps: vipps.clone(),
            callback_prefix: settings.ecom_callback_prefix.clone(),
            fallback_url: settings.ecom_fallback_url.clone(),
        }),
        psp: psp.clone(),
        receipts: Arc::new(OmReceipts {
            vipps: vipps.clone(),
            image: settings.category_image.clone(),
        }),
        psp_status: psp,
        acquirer,
        psp_make_payment: make_payment,
    };
    let backends = wrap(backends);
    let (engine, recovered) = Engine::start(settings.engine, store, backends, clock).await?;
    Ok(Running {
        engine,
        recovered,
        psp_server: server,
        vipps,
    })
}
