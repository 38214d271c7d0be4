//! `kasse doctor`: checks config, database, clock, token and whether push is enabled for the
//! MSN, and maps `config::Config` onto the engine's settings.
//!
//! Push check: outside production, doctor creates a tiny ePayment `PUSH_MESSAGE` payment (the
//! currency's minimum, to the test number given) with a `kasse-doctor-…` reference and cancels it
//! at once (`cancelTransactionOnly`). Error 5080 means push is not enabled for the sales unit.
//! In production nothing is created (it would push a real customer's phone): doctor says so and
//! tells staff how to ask Vipps MobilePay.

use crate::api::{IdempotencyKey, Vipps};
use crate::clock::{Clock, IdGen};
use crate::config::{Config, Environment};
use crate::engine::events::ApiKind;
use crate::lang::{Lang, Text};
use crate::store::{OutboxFilter, Store};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use super::say;
use crate::app::{CUSTOMER_RETURN_URL, ECOM_CALLBACK_PREFIX, api_of, settings_from_config};

fn line<W: Write>(out: &mut W, ok: Option<bool>, what: &str, detail: &str) -> std::io::Result<()> {
    let mark = match ok {
        Some(true) => "ok  ",
        Some(false) => "FAIL",
        None => "info",
    };
    writeln!(out, "[{mark}] {what}: {detail}")
}

/// The check's name in the reader's language.
fn name(lang: Lang, what: &'static str) -> &'static str {
    match (lang, what) {
        (Lang::En, w) => w,
        (Lang::Nb, "config") => "oppsett",
        (Lang::Nb, "database") => "database",
        (Lang::Nb, "outbox") => "kø",
        (Lang::Nb, "clock") => "klokke",
        (Lang::Nb, "token") => "tilgang",
        (Lang::Nb, "push") => "push",
        (Lang::Nb, w) => w,
    }
}

/// The last line: `result: ok` / `resultat: ok`, or how many problems.
fn result_line(lang: Lang, failed: usize) -> String {
    match (lang, failed) {
        (Lang::Nb, 0) => "resultat: ok".into(),
        (Lang::En, 0) => "result: ok".into(),
        (Lang::Nb, n) => format!("resultat: {n} problem(er)"),
        (Lang::En, n) => format!("result: {n} problem(s)"),
    }
}

/// Parse an HTTP `Date` header (IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`).
pub use crate::api::retry::parse_http_date;

/// Run every check; returns the exit code (0 = all good). `push_test_phone` is the MSISDN
/// the push check sends to outside production (a Vipps test user).
pub async fn doctor<W: Write>(
    cfg: &Config,
    data_dir: &Path,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGen>,
    push_test_phone: &str,
    lang: Lang,
    out: &mut W,
) -> std::io::Result<i32> {
    let mut failed = 0;
    let tr = |nb: &'static str, en: &'static str| lang.pick(nb, en);
    // 1. Config
    line(
        out,
        None,
        name(lang, "config"),
        &format!(
            "{} {:?}, {} MSN {}, {} {} {} {}, API {}",
            tr("miljø", "environment"),
            cfg.vipps.environment,
            cfg.vipps.base_url,
            cfg.vipps.msn,
            tr("butikk", "shop"),
            cfg.shop.shop_id,
            tr("kasse", "till"),
            cfg.shop.till_id,
            api_of(cfg.vipps.api).code()
        ),
    )?;
    match settings_from_config(cfg, ids.as_ref()) {
        Ok(_) => line(
            out,
            Some(true),
            name(lang, "config"),
            tr("komplett", "complete"),
        )?,
        Err(e) => {
            failed += 1;
            line(
                out,
                Some(false),
                name(lang, "config"),
                e.message().get(lang),
            )?;
        }
    }
    // 2. Database
    let dir = data_dir.to_path_buf();
    let db = tokio::task::spawn_blocking(
        move || -> Result<(String, String, i64, i64, usize), crate::store::StoreError> {
            // Read-only beside a running till (no migrations, no outbox reset); a fresh
            // install without a journal yet gets one created as before.
            let s = match Store::open_read_only(&dir) {
                Err(crate::store::StoreError::NoJournal { .. }) => Store::open_in_dir(&dir)?,
                other => other?,
            };
            let wal = s.pragma("journal_mode")?;
            let sync = s.pragma("synchronous")?;
            let version = s.schema_version()?;
            let open = s.pending_count()?;
            let dead = s.list(OutboxFilter::DeadUnacknowledged)?.len();
            Ok((wal, sync, version, open, dead))
        },
    )
    .await;
    match db {
        Ok(Ok((wal, sync, version, open, dead))) => {
            line(
                out,
                Some(true),
                name(lang, "database"),
                &match lang {
                    Lang::Nb => format!(
                        "{} (journal_mode={wal}, synchronous={sync}, skjema v{version}); kø: {open} åpne, {dead} mislykkede",
                        data_dir.display()
                    ),
                    Lang::En => format!(
                        "{} (journal_mode={wal}, synchronous={sync}, schema v{version}); outbox: {open} open, {dead} dead",
                        data_dir.display()
                    ),
                },
            )?;
            if dead > 0 {
                line(
                    out,
                    Some(false),
                    name(lang, "outbox"),
                    tr(
                        "mislykkede oppdrag trenger personalet: kjør `kasse queue`",
                        "dead rows need staff: run `kasse queue`",
                    ),
                )?;
                failed += 1;
            }
        }
        Ok(Err(e)) => {
            failed += 1;
            line(
                out,
                Some(false),
                name(lang, "database"),
                e.message().get(lang),
            )?;
        }
        Err(e) => {
            failed += 1;
            line(out, Some(false), name(lang, "database"), &e.to_string())?;
        }
    }
    // 3. Clock: compare with the Vipps server's Date header.
    let now = clock.now();
    let date = reqwest::Client::new()
        .get(&cfg.vipps.base_url)
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await
        .ok()
        .and_then(|r| {
            r.headers()
                .get(reqwest::header::DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_http_date)
        });
    match date {
        Some(server) => {
            let skew = (now - server).abs();
            let ok = skew <= time::Duration::seconds(60);
            if !ok {
                failed += 1;
            }
            line(
                out,
                Some(ok),
                name(lang, "clock"),
                &format!(
                    "{} {} vs Vipps {} ({} {} s{})",
                    tr("lokal", "local"),
                    crate::clock::rfc3339_millis(now),
                    crate::clock::rfc3339_millis(server),
                    tr("avvik", "off by"),
                    skew.whole_seconds(),
                    if ok {
                        ""
                    } else {
                        tr("; rett systemklokken (NTP)", "; fix the system clock (NTP)")
                    }
                ),
            )?;
        }
        None => line(
            out,
            None,
            name(lang, "clock"),
            &format!(
                "{} {}; {}",
                tr("lokal", "local"),
                crate::clock::rfc3339_millis(now),
                tr(
                    "fikk ikke lest serverens Date-header å sammenligne med",
                    "could not read the server's Date header to compare"
                )
            ),
        )?,
    }
    // 4. Token
    let vipps = match Vipps::new(cfg.api_settings()) {
        Ok(v) => v,
        Err(e) => {
            line(
                out,
                Some(false),
                name(lang, "token"),
                e.cashier_message().get(lang),
            )?;
            writeln!(out, "{}", result_line(lang, failed + 1))?;
            return Ok(1);
        }
    };
    match vipps.check_credentials().await {
        Ok(()) => line(
            out,
            Some(true),
            name(lang, "token"),
            tr("tilgangstoken mottatt", "access token received"),
        )?,
        Err(e) => {
            failed += 1;
            line(
                out,
                Some(false),
                name(lang, "token"),
                &format!("{} ({e})", e.cashier_message().get(lang)),
            )?;
        }
    }
    // 5. Push
    if cfg.vipps.environment == Environment::Production {
        line(
            out,
            None,
            name(lang, "push"),
            tr(
                "ikke testet i produksjon (det ville sendt til en ekte telefon). Spør Vipps MobilePay om PUSH_MESSAGE / «skip landing page» er slått på for dette MSN; feil 5080 i kassen betyr at den ikke er det.",
                "not tested in production (it would push a real phone). Ask Vipps MobilePay whether PUSH_MESSAGE / skip landing page is enabled for this MSN; error 5080 at the till means it is not.",
            ),
        )?;
    } else {
        let check = match api_of(cfg.vipps.api) {
            ApiKind::Ecom => {
                ecom_push_check(&vipps, ids.as_ref(), &cfg.vipps.msn, push_test_phone).await
            }
            // PSP pushes go through the acquirer's own flow; ePayment is what kasse uses there.
            ApiKind::Epayment | ApiKind::Psp => {
                push_check(
                    &vipps,
                    ids.as_ref(),
                    &cfg.vipps.msn,
                    cfg.shop.currency,
                    push_test_phone,
                )
                .await
            }
        };
        match check {
            Ok(t) => line(out, Some(true), name(lang, "push"), t.get(lang))?,
            Err(t) => {
                failed += 1;
                line(out, Some(false), name(lang, "push"), t.get(lang))?;
            }
        }
    }
    writeln!(out, "{}", result_line(lang, failed))?;
    Ok(if failed == 0 { 0 } else { 1 })
}

async fn push_check(
    vipps: &Vipps,
    ids: &dyn IdGen,
    msn: &str,
    currency: crate::domain::money::Currency,
    phone: &str,
) -> Result<Text, Text> {
    use crate::api::epayment;
    let reference = format!("kasse-doctor-{}", &ids.uuid().simple().to_string()[..12]);
    let key = IdempotencyKey::new(ids.uuid().to_string()).map_err(|e| same(e.to_string()))?;
    let amount = crate::domain::money::Money::new(currency.epayment_minimum(), currency);
    let mut req = epayment::CreatePaymentRequest::new(
        reference.clone(),
        amount.into(),
        epayment::UserFlow::PushMessage,
    );
    req.customer = Some(epayment::Customer::phone(phone));
    req.customer_interaction = Some(epayment::CustomerInteraction::CustomerPresent);
    req.payment_description = Some("kasse doctor push check".into());
    match vipps.epayment().create(&req, &key).await {
        Ok(_) => {
            let ck =
                IdempotencyKey::new(ids.uuid().to_string()).map_err(|e| same(e.to_string()))?;
            match vipps.epayment().cancel(&reference, true, &ck).await {
                Ok(_) => Ok(Text::new(
                    format!(
                        "PUSH_MESSAGE godtatt (testbetaling {reference} opprettet og kansellert)"
                    ),
                    format!(
                        "PUSH_MESSAGE accepted (test payment {reference} created and cancelled)"
                    ),
                )),
                Err(e) => Ok(Text::new(
                    format!(
                        "PUSH_MESSAGE godtatt; å kansellere testbetalingen {reference} feilet ({e}) – den utløper av seg selv om 10 minutter"
                    ),
                    format!(
                        "PUSH_MESSAGE accepted; cancelling test payment {reference} failed ({e}) — it expires by itself in 10 minutes"
                    ),
                )),
            }
        }
        Err(e) if e.code.as_deref() == Some("5080") => Err(Text::new(
            "PUSH_MESSAGE er ikke slått på for dette MSN (feil 5080): be Vipps MobilePay slå på «skip landing page»; bruk --qr til da",
            "PUSH_MESSAGE is not enabled for this MSN (error 5080): ask Vipps MobilePay to enable \"skip landing page\"; until then use --qr",
        )),
        Err(e) if e.code.as_deref() == Some("5040") => Err(Text::new(
            format!(
                "salgsenheten (MSN {msn}) tar ikke {} (feil 5040): sett shop.currency til salgsenhetens valuta, eller bruk et MSN for {}",
                currency.code(),
                currency.code()
            ),
            format!(
                "the sales unit (MSN {msn}) does not take {} (error 5040): set shop.currency to the sales unit's currency, or use an MSN for {}",
                currency.code(),
                currency.code()
            ),
        )),
        Err(e) => Err(Text::new(
            format!("push-sjekken feilet: {e}"),
            format!("push check failed: {e}"),
        )),
    }
}

/// A text that reads the same in both languages (codes, library messages).
fn same(s: String) -> Text {
    Text::new(s.clone(), s)
}

/// eCom: initiate a 1,00 kr payment with `skipLandingPage` (the eCom push) to the test user's
/// 8-digit number, then cancel it. Error 38 means the sales unit may not skip the landing page.
async fn ecom_push_check(
    vipps: &Vipps,
    ids: &dyn IdGen,
    msn: &str,
    phone: &str,
) -> Result<Text, Text> {
    use crate::api::ecom;
    let order_id = format!("kasse-doctor-{}", &ids.uuid().simple().to_string()[..12]);
    // eCom takes the Norwegian number without the country code.
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let mobile = digits
        .get(digits.len().saturating_sub(8)..)
        .unwrap_or_default()
        .to_owned();
    let req = ecom::InitiatePaymentRequest {
        customer_info: ecom::CustomerInfo {
            mobile_number: Some(mobile),
        },
        merchant_info: ecom::MerchantInfo {
            merchant_serial_number: msn.to_owned(),
            callback_prefix: ECOM_CALLBACK_PREFIX.into(),
            fall_back: CUSTOMER_RETURN_URL.into(),
            auth_token: None,
            is_app: Some(false),
            payment_type: None,
            consent_removal_prefix: None,
            shipping_details_prefix: None,
            static_shipping_details: None,
        },
        transaction: ecom::TransactionInitiate {
            amount: 100,
            order_id: order_id.clone(),
            transaction_text: "kasse doctor push check".into(),
            skip_landing_page: Some(true),
            scope: None,
            use_explicit_checkout_flow: None,
            additional_data: None,
        },
    };
    match vipps.ecom().initiate(&req).await {
        Ok(_) => {
            let cancel = ecom::CancelPaymentActionRequest {
                merchant_info: ecom::MerchantInfoPayment {
                    merchant_serial_number: msn.to_owned(),
                },
                transaction: ecom::CancelTransaction {
                    transaction_text: "kasse doctor push check".into(),
                },
                should_release_remaining_funds: None,
            };
            match vipps.ecom().cancel(&order_id, &cancel).await {
                Ok(_) => Ok(Text::new(
                    format!(
                        "eCom skipLandingPage godtatt (testbetaling {order_id} opprettet og kansellert)"
                    ),
                    format!(
                        "eCom skipLandingPage accepted (test payment {order_id} created and cancelled)"
                    ),
                )),
                Err(e) => Ok(Text::new(
                    format!(
                        "eCom skipLandingPage godtatt; å kansellere testbetalingen {order_id} feilet ({e}) – den utløper av seg selv om 10 minutter"
                    ),
                    format!(
                        "eCom skipLandingPage accepted; cancelling test payment {order_id} failed ({e}) — it expires by itself in 10 minutes"
                    ),
                )),
            }
        }
        Err(e) if e.code.as_deref() == Some("38") => Err(Text::new(
            "eCom-push (skipLandingPage) er ikke slått på for dette MSN (feil 38): be Vipps MobilePay slå på «skip landing page»; bruk --qr til da",
            "eCom push (skipLandingPage) is not enabled for this MSN (error 38): ask Vipps MobilePay to enable \"skip landing page\"; until then use --qr",
        )),
        Err(e) => Err(Text::new(
            format!("push-sjekken feilet: {e}"),
            format!("push check failed: {e}"),
        )),
    }
}

/// `kasse doctor [--phone N]`: check the config, the journal and Vipps end to end (in `--demo`
/// against the embedded simulator). Exit 0 when every check passed.
pub async fn command(
    opts: &crate::app::Options,
    config: Config,
    dir: &Path,
    lang: Lang,
    phone: &str,
) -> i32 {
    let mut out = std::io::stdout();
    let clock = std::sync::Arc::new(crate::clock::SystemClock);
    let ids = std::sync::Arc::new(crate::clock::RandomIds);
    let mut cfg = config;
    let sim = if opts.demo {
        match crate::app::start_sim(None).await {
            Ok(sim) => {
                cfg.vipps.base_url = sim.base_url();
                Some(sim)
            }
            Err(e) => {
                say(lang, e.text());
                return 1;
            }
        }
    } else {
        None
    };
    let code = doctor(&cfg, dir, clock, ids, phone, lang, &mut out)
        .await
        .unwrap_or(1);
    if let Some(sim) = sim {
        let _ = sim.shutdown().await;
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_date() {
        let t = parse_http_date("Sat, 21 Nov 2026 12:00:01 GMT").unwrap();
        assert_eq!(t, time::macros::datetime!(2026-11-21 12:00:01 UTC));
        assert!(parse_http_date("nonsense").is_none());
    }

    #[test]
    fn config_maps_to_engine_settings() {
        let cfg = Config::from_toml_str("", &|_| None).unwrap();
        let s = settings_from_config(&cfg, &crate::clock::SeqIds::default()).unwrap();
        assert_eq!(s.engine.shop_id, cfg.shop.shop_id);
        assert_eq!(s.api.msn, cfg.vipps.msn);
        // ePayment (the default) never listens for PSP callbacks.
        assert!(s.psp_server.is_none());
        let psp =
            Config::from_toml_str("[vipps]\napi = \"psp\"\npsp_id = \"p1\"\n", &|_| None).unwrap();
        let s = settings_from_config(&psp, &crate::clock::SeqIds::default()).unwrap();
        use secrecy::ExposeSecret;
        let server = s.psp_server.expect("api = psp listens");
        assert_eq!(server.token.expose_secret().len(), 64);
    }
}
