//! The engine's settings from the shop's config: which Vipps API, the engine's identity, the
//! PSP callback listener and the Order Management category (with the logo read from disk).

use crate::clock::IdGen;
use crate::config::{ApiChoice, Config};
use crate::engine::build::ConnectSettings;
use crate::engine::events::ApiKind;
use crate::engine::psp_server::PspServerConfig;
use crate::engine::{EngineConfig, EngineError};
use crate::lang::Text;
use secrecy::SecretString;

/// The API the config chose.
pub fn api_of(c: ApiChoice) -> ApiKind {
    match c {
        ApiChoice::Epayment => ApiKind::Epayment,
        ApiChoice::Ecom => ApiKind::Ecom,
        ApiChoice::Psp => ApiKind::Psp,
    }
}

/// eCom `callbackPrefix` used when nothing better is known. kasse never relies on callbacks
/// (it polls, as Vipps requires); a till has no public HTTPS endpoint.
pub const ECOM_CALLBACK_PREFIX: &str = "https://kasse.invalid/vipps";
/// eCom `fallBack` / PSP `pspRedirectUrl` default: where the customer's browser lands after a
/// landing-page flow (unused for push and app flows at a till).
pub const CUSTOMER_RETURN_URL: &str = "https://vipps.no";

/// Engine settings from the app config. `ids` mints the makePaymentToken when none is set.
/// The PSP callback listener is set up only for `api = "psp"`: the other APIs never use it.
pub fn settings_from_config(cfg: &Config, ids: &dyn IdGen) -> Result<ConnectSettings, EngineError> {
    let psp_server = if cfg.vipps.api == ApiChoice::Psp {
        Some(psp_server_config(cfg, ids)?)
    } else {
        None
    };
    let mut engine = EngineConfig::new(&cfg.shop.shop_id, &cfg.shop.till_id, &cfg.vipps.msn);
    engine.staff_id = None;
    engine.receipt_barcode = cfg.receipt.barcode;
    // The category image is only shown with a category, which needs order_details_url. The
    // logo is checked (PNG/JPEG, ≥ 167 px high, ≤ 2 MB); its id is derived from the bytes,
    // so the same logo is uploaded once (a 409 on upload counts as done).
    let category_image = match (&cfg.receipt.order_details_url, &cfg.receipt.logo) {
        (None, _) => None,
        (Some(_), Some(path)) => {
            let logo =
                crate::receipt::om::load_logo(path).map_err(|e| EngineError::Invalid(e.text()))?;
            for w in &logo.warnings {
                tracing::warn!("{}", w.en);
            }
            Some((logo.image_id.clone(), logo.payload().src))
        }
        // No logo configured: the shipped assets/logo.png when it is there, else no image.
        (Some(_), None) => {
            let path = crate::receipt::ReceiptSettings::default().logo_path();
            match crate::receipt::om::load_logo(&path) {
                Ok(logo) => Some((logo.image_id.clone(), logo.payload().src)),
                Err(e) => {
                    tracing::info!(error = %e, "no category image");
                    None
                }
            }
        }
    };
    engine.order_category =
        cfg.receipt
            .order_details_url
            .as_ref()
            .map(|url| crate::engine::provider::CategorySpec {
                category: serde_json::to_value(&cfg.receipt.category)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| "RECEIPT".to_owned()),
                order_details_url: url.clone(),
                image_id: category_image.as_ref().map(|(id, _)| id.clone()),
            });
    Ok(ConnectSettings {
        api: cfg.api_settings(),
        engine,
        ecom_callback_prefix: ECOM_CALLBACK_PREFIX.into(),
        ecom_fallback_url: CUSTOMER_RETURN_URL.into(),
        psp_redirect_url: CUSTOMER_RETURN_URL.into(),
        psp_server,
        category_image,
    })
}

/// `[psp]`: where the makePaymentUrl listener binds and the token sent with PSP init (also
/// for a PSP payment an earlier run with `api = "psp"` left unfinished).
pub(super) fn psp_server_config(
    cfg: &Config,
    ids: &dyn IdGen,
) -> Result<PspServerConfig, EngineError> {
    let listen = cfg.psp.make_payment_listen.parse().map_err(|_| {
        EngineError::Invalid(Text::new(
            format!(
                "psp.make_payment_listen = «{}» er ikke en adresse; skriv f.eks. 127.0.0.1:8099",
                cfg.psp.make_payment_listen
            ),
            format!(
                "psp.make_payment_listen = \"{}\" is not an address; write e.g. 127.0.0.1:8099",
                cfg.psp.make_payment_listen
            ),
        ))
    })?;
    let token = cfg.psp.make_payment_token.clone().unwrap_or_else(|| {
        SecretString::from(format!("{}{}", ids.uuid().simple(), ids.uuid().simple()))
    });
    Ok(PspServerConfig {
        listen,
        public_url: cfg.psp.make_payment_public_url.clone(),
        token,
    })
}
