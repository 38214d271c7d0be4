//! Error bodies of every Vipps API, and [`ApiError`]: one typed error for the whole layer.

pub use crate::wire::error::*;

use crate::api::validate::ValidationError;
use crate::lang::Text;
use std::fmt;

/// Which Vipps API an error came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    AccessToken,
    Epayment,
    Ecom,
    Psp,
    OrderManagement,
}

impl Api {
    pub const fn name(self) -> &'static str {
        match self {
            Api::AccessToken => "Access Token",
            Api::Epayment => "ePayment",
            Api::Ecom => "eCom",
            Api::Psp => "PSP",
            Api::OrderManagement => "Order Management",
        }
    }
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What kind of failure this is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// Vipps answered with an HTTP error status (see `status`, `code`).
    Http,
    /// No HTTP answer: connection refused, DNS, reset, TLS …
    Transport { connect: bool },
    /// No answer in time.
    Timeout,
    /// An answer arrived but could not be read (e.g. 2xx with a body that does not parse).
    Decode,
    /// Refused before sending: the input broke a rule (nothing was sent).
    Validation(ValidationError),
    /// Refused before sending: configuration (base URL, header values …) is not usable.
    Config,
}

/// One typed error for every Vipps call (boxed: cheap to move; read fields through `Deref`,
/// e.g. `err.status`, `err.code`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError(Box<ApiErrorDetail>);

impl std::ops::Deref for ApiError {
    type Target = ApiErrorDetail;
    fn deref(&self) -> &ApiErrorDetail {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ApiErrorDetail {
        &mut self.0
    }
}

/// The fields of an [`ApiError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiErrorDetail {
    pub api: Api,
    pub kind: ErrorKind,
    /// HTTP status when Vipps answered.
    pub status: Option<u16>,
    /// eCom `errorGroup` (when given).
    pub group: Option<String>,
    /// The API's own error code: ePayment `extraDetails` ErrorCode, eCom/PSP `errorCode`,
    /// gateway `responseCode`/`statusCode`; for eCom `InvalidRequest` it is the field name.
    pub code: Option<String>,
    /// Raw detail (the server's message, or the transport error), for logs and support.
    pub detail: String,
    /// ePayment `traceId` / eCom/PSP `contextId` / OM `instance`.
    pub trace_id: Option<String>,
    /// The request could move money (create, capture, refund, cancel, initiate, …).
    pub money_moving: bool,
    /// Some attempt may have reached Vipps and been processed (timeout, 5xx, reset after
    /// sending) before this final error.
    pub maybe_delivered: bool,
    /// The request carried an idempotency key (Idempotency-Key / X-Request-Id), so a later
    /// definite answer is authoritative for all earlier attempts.
    pub keyed: bool,
    /// The server's `Retry-After` on the last answer (429, 423, 503 …), given in seconds or as
    /// an HTTP-date and turned into a wait: the engine waits at least this long before its next
    /// call for the same payment or outbox row.
    pub retry_after: Option<std::time::Duration>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.api)?;
        if let Some(s) = self.status {
            write!(f, " HTTP {s}")?;
        }
        if let Some(g) = &self.group {
            write!(f, " {g}")?;
        }
        if let Some(c) = &self.code {
            write!(f, " code {c}")?;
        }
        match &self.kind {
            ErrorKind::Transport { .. } => write!(f, " (no answer: {})", self.detail)?,
            ErrorKind::Timeout => write!(f, " (timed out: {})", self.detail)?,
            ErrorKind::Decode => write!(f, " (unreadable answer: {})", self.detail)?,
            ErrorKind::Validation(v) => write!(f, " (not sent: {v})")?,
            ErrorKind::Config => write!(f, " (configuration: {})", self.detail)?,
            ErrorKind::Http => {
                if !self.detail.is_empty() {
                    write!(f, ": {}", self.detail)?;
                }
            }
        }
        if let Some(t) = &self.trace_id {
            write!(f, " [trace {t}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// ePayment codes that mean "busy, retry with the same key".
pub const EPAYMENT_RETRY_CODES: &[&str] = &["6160", "6280"];
/// eCom codes (VippsError group) that mean "busy, retry with the same key".
pub const ECOM_RETRY_CODES: &[&str] = &["94"];

impl ApiError {
    fn base(api: Api, kind: ErrorKind) -> ApiErrorDetail {
        ApiErrorDetail {
            api,
            kind,
            status: None,
            group: None,
            code: None,
            detail: String::new(),
            trace_id: None,
            money_moving: false,
            maybe_delivered: false,
            keyed: false,
            retry_after: None,
        }
    }

    /// Input failed validation; nothing was sent.
    pub fn validation(api: Api, e: ValidationError) -> ApiError {
        let detail = e.to_string();
        ApiError(Box::new(ApiErrorDetail {
            detail,
            ..ApiError::base(api, ErrorKind::Validation(e))
        }))
    }

    /// Unusable configuration; nothing was sent.
    pub fn config(api: Api, detail: impl Into<String>) -> ApiError {
        ApiError(Box::new(ApiErrorDetail {
            detail: detail.into(),
            ..ApiError::base(api, ErrorKind::Config)
        }))
    }

    /// No HTTP answer.
    pub fn transport(api: Api, connect: bool, detail: impl Into<String>) -> ApiError {
        ApiError(Box::new(ApiErrorDetail {
            detail: detail.into(),
            ..ApiError::base(api, ErrorKind::Transport { connect })
        }))
    }

    /// No answer in time.
    pub fn timeout(api: Api, detail: impl Into<String>) -> ApiError {
        ApiError(Box::new(ApiErrorDetail {
            detail: detail.into(),
            ..ApiError::base(api, ErrorKind::Timeout)
        }))
    }

    /// A 2xx whose body could not be read.
    pub fn decode(api: Api, status: u16, detail: impl Into<String>) -> ApiError {
        ApiError(Box::new(ApiErrorDetail {
            status: Some(status),
            detail: detail.into(),
            ..ApiError::base(api, ErrorKind::Decode)
        }))
    }

    /// Parse an HTTP error answer, whatever format it comes in (ePayment problem+json, eCom
    /// array, gateway `{statusCode,message}` / `{responseInfo,result}`, OM `invalidParams`,
    /// PSP array, or plain text).
    pub fn from_response(api: Api, status: u16, body: &[u8]) -> ApiError {
        let mut e = ApiError(Box::new(ApiErrorDetail {
            status: Some(status),
            ..ApiError::base(api, ErrorKind::Http)
        }));
        let text = String::from_utf8_lossy(body);
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
            e.detail = text.chars().take(500).collect();
            return e;
        };
        if v.is_array() {
            // eCom ErrorArray or PSP ErrorDetails[]
            if let Ok(list) = serde_json::from_value::<Vec<EcomError>>(v.clone())
                && let Some(first) = list.first()
            {
                e.group = Some(first.error_group.as_str().to_owned());
                e.code = Some(first.error_code.clone());
                e.detail = first.error_message.clone();
                e.trace_id = first.context_id.clone();
                return e;
            }
            if let Ok(list) = serde_json::from_value::<Vec<PspErrorDetails>>(v.clone())
                && let Some(first) = list.first()
            {
                e.code = first.error_code.clone();
                e.detail = first.error_message.clone().unwrap_or_default();
                e.trace_id = first.context_id.clone();
                return e;
            }
        } else if v.get("responseInfo").is_some() {
            if let Ok(az) = serde_json::from_value::<AzureError>(v.clone()) {
                e.code = Some(az.response_info.response_code.to_string());
                e.detail = if az.result.message.is_empty() {
                    az.response_info.response_message
                } else {
                    az.result.message
                };
                return e;
            }
        } else if v.get("statusCode").is_some() && v.get("title").is_none() {
            if let Ok(g) = serde_json::from_value::<GatewayStatusError>(v.clone()) {
                e.detail = g.message;
                return e;
            }
        } else if v.get("invalidParams").is_some() || (api == Api::OrderManagement) {
            if let Ok(p) = serde_json::from_value::<OmProblem>(v.clone()) {
                let params: Vec<String> = p
                    .invalid_params
                    .unwrap_or_default()
                    .into_iter()
                    .map(|ip| format!("{}: {}", ip.name, ip.reason))
                    .collect();
                e.code = params
                    .first()
                    .and_then(|s| s.split(':').next())
                    .map(str::to_owned);
                let head = p.detail.or(p.title).unwrap_or_default();
                e.detail = if params.is_empty() {
                    head
                } else {
                    format!("{head} ({})", params.join("; "))
                };
                e.trace_id = p.instance;
                return e;
            }
        } else if let Ok(p) = serde_json::from_value::<EpaymentProblem>(v.clone()) {
            e.code = p.error_code();
            e.detail = p.detail.clone().unwrap_or_else(|| p.title.clone());
            if e.detail.is_empty() {
                e.detail = text.chars().take(500).collect();
            }
            e.trace_id = Some(p.trace_id).filter(|t| !t.is_empty()).or(p.instance);
            return e;
        }
        e.detail = text.chars().take(500).collect();
        e
    }

    /// Mark the call context (set by the client).
    pub fn with_context(mut self, money_moving: bool, keyed: bool, maybe_delivered: bool) -> Self {
        self.money_moving = money_moving;
        self.keyed = keyed;
        self.maybe_delivered = self.maybe_delivered || maybe_delivered;
        self
    }

    fn code_is(&self, c: &str) -> bool {
        self.code.as_deref() == Some(c)
    }

    fn group_is(&self, g: &str) -> bool {
        self.group.as_deref() == Some(g)
    }

    /// Vipps said "busy, retry with the same key" (ePayment 6160/6280, eCom 94).
    pub fn is_retry_code(&self) -> bool {
        match self.api {
            Api::Epayment => EPAYMENT_RETRY_CODES.iter().any(|c| self.code_is(c)),
            Api::Ecom => {
                ECOM_RETRY_CODES.iter().any(|c| self.code_is(c)) && !self.group_is("Payment")
            }
            _ => false,
        }
    }

    /// No network: connection refused, DNS failure, unreachable (nothing reached Vipps on
    /// this attempt).
    pub fn is_offline(&self) -> bool {
        matches!(self.kind, ErrorKind::Transport { connect: true })
    }

    /// Nothing was sent: validation or configuration refused it locally.
    pub fn not_sent(&self) -> bool {
        matches!(self.kind, ErrorKind::Validation(_) | ErrorKind::Config)
    }

    /// Server-side failure (5xx).
    pub fn is_server_error(&self) -> bool {
        matches!(self.status, Some(s) if s >= 500)
    }

    /// The outcome of a money-moving call is UNKNOWN: the payment may or may not have been
    /// created / captured / refunded / cancelled. The engine must read the payment back
    /// (GET / details / events) before deciding anything, and retry only with the same key.
    pub fn outcome_unknown(&self) -> bool {
        if !self.money_moving || self.not_sent() {
            return false;
        }
        let this_attempt_unknown = match &self.kind {
            ErrorKind::Timeout | ErrorKind::Decode => true,
            ErrorKind::Transport { connect } => !connect,
            ErrorKind::Http => {
                self.is_server_error()
                    || self.is_retry_code()
                    || (self.api == Api::Ecom && self.code_is("63") && self.group_is("Payment"))
            }
            ErrorKind::Validation(_) | ErrorKind::Config => false,
        };
        // Without an idempotency key, a definite answer after an attempt that may have gone
        // through (e.g. "duplicate orderId" after a timeout) says nothing about that attempt.
        this_attempt_unknown || (self.maybe_delivered && !self.keyed)
    }

    /// A definite, final rejection: Vipps answered 4xx and retrying the same request will not
    /// change it (and, for keyed requests, nothing was done).
    pub fn is_rejection(&self) -> bool {
        matches!(self.kind, ErrorKind::Http)
            && matches!(self.status, Some(s) if (400..500).contains(&s))
            && !self.outcome_unknown()
            && !self.is_retry_code()
            && !matches!(self.status, Some(429 | 423))
    }

    /// A short message for the cashier, in Norwegian Bokmål and English.
    pub fn cashier_message(&self) -> Text {
        match &self.kind {
            ErrorKind::Validation(v) => return v.text.clone(),
            ErrorKind::Config => {
                return Text::new(
                    "Oppsettet for Vipps er ugyldig. Kontakt ansvarlig.",
                    "The Vipps set-up is invalid. Contact the person responsible.",
                );
            }
            ErrorKind::Transport { connect: true } if !self.outcome_unknown() => {
                return Text::new(
                    "Ingen forbindelse til Vipps. Sjekk nettet, eller ta betalt på en annen måte.",
                    "No connection to Vipps. Check the network, or take another payment method.",
                );
            }
            ErrorKind::Transport { .. } | ErrorKind::Timeout | ErrorKind::Decode => {
                return if self.outcome_unknown() {
                    unknown_text()
                } else {
                    Text::new(
                        "Vipps svarer ikke. Prøv igjen om litt.",
                        "Vipps is not answering. Try again shortly.",
                    )
                };
            }
            ErrorKind::Http => {}
        }
        // Whatever the last answer said, an unknown outcome must not invite a new charge.
        if self.outcome_unknown() {
            return unknown_text();
        }
        let specific = self.code.as_deref().and_then(|code| match self.api {
            Api::Epayment => epayment_code_text(code),
            Api::Ecom => ecom_code_text(self.group.as_deref().unwrap_or(""), code),
            Api::Psp => psp_code_text(code),
            _ => None,
        });
        if let Some(t) = specific {
            return t;
        }
        status_text(
            self.api,
            self.status.unwrap_or(0),
            self.group.as_deref(),
            self.code.as_deref(),
        )
    }
}

fn unknown_text() -> Text {
    Text::new(
        "Usikkert om Vipps fikk med seg dette. Kassen sjekker status – ikke ta betalt på nytt.",
        "Not sure Vipps received this. The till is checking the status – do not charge again.",
    )
}

fn status_text(api: Api, status: u16, group: Option<&str>, code: Option<&str>) -> Text {
    match (api, status) {
        (Api::Ecom, 400) if group == Some("InvalidRequest") => {
            let f = code.unwrap_or("?");
            Text::new(
                format!("Vipps avviste feltet «{f}». Rett opplysningen og prøv igjen."),
                format!("Vipps rejected the field “{f}”. Correct it and try again."),
            )
        }
        (Api::OrderManagement, 409) => Text::new(
            "Kvitteringen/bildet finnes allerede hos Vipps.",
            "The receipt/image is already stored at Vipps.",
        ),
        (Api::OrderManagement, 400) => Text::new(
            "Vipps avviste kvitteringen: summene eller feltene stemmer ikke. Se loggen.",
            "Vipps rejected the receipt: totals or fields do not add up. See the log.",
        ),
        (Api::AccessToken, 400 | 401 | 403) | (_, 401) => Text::new(
            "Vipps godtok ikke nøklene (client_id/secret/abonnementsnøkkel). Sjekk oppsettet.",
            "Vipps did not accept the keys (client_id/secret/subscription key). Check the set-up.",
        ),
        (_, 403) => Text::new(
            "Vipps nekter tilgang for dette salgsstedet (MSN eller nøkler). Sjekk oppsettet.",
            "Vipps refuses access for this sales unit (MSN or keys). Check the set-up.",
        ),
        (_, 404) => Text::new(
            "Vipps finner ikke betalingen.",
            "Vipps cannot find the payment.",
        ),
        (_, 409) => Text::new(
            "Vipps har allerede en annen forespørsel med samme referanse/nøkkel.",
            "Vipps already has a different request with the same reference/key.",
        ),
        (_, 423) => Text::new(
            "Betalingen behandles akkurat nå. Prøv igjen om noen sekunder.",
            "The payment is being processed right now. Try again in a few seconds.",
        ),
        (_, 429) => Text::new(
            "For mange forespørsler mot Vipps. Vent litt og prøv igjen.",
            "Too many requests to Vipps. Wait a little and try again.",
        ),
        (_, s) if s >= 500 => Text::new(
            "Feil hos Vipps. Prøv igjen om litt.",
            "Error at Vipps. Try again shortly.",
        ),
        _ => Text::new(
            "Vipps avviste forespørselen. Se loggen for detaljer.",
            "Vipps rejected the request. See the log for details.",
        ),
    }
}

macro_rules! code_table {
    ($name:ident, $list:ident, [ $( ($code:literal, $nb:literal, $en:literal) ),+ $(,)? ]) => {
        /// Every code this table knows (for table tests and documentation).
        pub const $list: &[&str] = &[ $($code),+ ];
        fn $name(code: &str) -> Option<Text> {
            match code {
                $( $code => Some(Text::new($nb, $en)), )+
                _ => None,
            }
        }
    };
}

code_table!(
    epayment_code_text,
    EPAYMENT_CODES,
    [
        (
            "3010",
            "Intern feil hos Vipps. Prøv igjen om litt.",
            "Internal error at Vipps. Try again shortly."
        ),
        (
            "4010",
            "Beløpet i gjentatt trekk stemmer ikke med første forsøk. Kontakt ansvarlig.",
            "The capture retry does not match the first attempt. Contact the person responsible."
        ),
        (
            "4020",
            "Idempotensnøkkelen er allerede brukt på en annen forespørsel.",
            "The idempotency key is already used for a different request."
        ),
        ("4040", "Ugyldig beløp.", "Invalid amount."),
        (
            "4050",
            "Ugyldig kundetoken. Skann på nytt.",
            "Invalid customer token. Scan again."
        ),
        (
            "4060",
            "Ugyldig personlig QR-kode. Be kunden vise koden på nytt.",
            "Invalid personal QR code. Ask the customer to show it again."
        ),
        (
            "4070",
            "Telefonnummeret har feil format. Skriv det med landkode, f.eks. +47 912 34 567.",
            "The phone number has the wrong format. Enter it with country code, e.g. +47 912 34 567."
        ),
        (
            "4080",
            "Ugyldig profilforespørsel (scope). Kontakt ansvarlig.",
            "Invalid profile scope. Contact the person responsible."
        ),
        (
            "4090",
            "Ugyldig lenke (returnUrl/receiptUrl) i oppsettet.",
            "Invalid URL (returnUrl/receiptUrl) in the set-up."
        ),
        (
            "4100",
            "For mange metadata-felter.",
            "Too many metadata entries."
        ),
        (
            "4110",
            "Metadata-nøkkel er for lang.",
            "A metadata key is too long."
        ),
        (
            "4120",
            "Metadata-verdi er for lang.",
            "A metadata value is too long."
        ),
        ("4130", "Ugyldige metadata.", "Invalid metadata."),
        (
            "4140",
            "Et påkrevd felt mangler i forespørselen.",
            "A required field is missing from the request."
        ),
        (
            "4150",
            "Referansen finnes allerede (eller refusjonen er gjentatt med annet beløp).",
            "The reference already exists (or the refund was repeated with a different amount)."
        ),
        (
            "4160",
            "Ugyldig betalingsmetode.",
            "Invalid payment method."
        ),
        (
            "5010",
            "Blokkering av betalingskilder er ikke tilgjengelig for dette salgsstedet.",
            "Blocking payment sources is not available for this sales unit."
        ),
        (
            "5020",
            "Express er ikke tillatt for dette salgsstedet.",
            "Express is not allowed for this sales unit."
        ),
        (
            "5030",
            "Salgsstedet har ikke lov til å be om disse profilopplysningene.",
            "The sales unit may not ask for this profile data."
        ),
        (
            "5040",
            "Valutaen passer ikke til salgsstedet. Sjekk valuta i oppsettet.",
            "The currency does not match the sales unit. Check the currency in the set-up."
        ),
        (
            "5050",
            "Lang utløpstid er ikke tillatt for dette salgsstedet.",
            "Long expiry is not allowed for this sales unit."
        ),
        (
            "5060",
            "Salgsstedets bankkonto er ikke verifisert hos Vipps.",
            "The sales unit's bank account is not verified at Vipps."
        ),
        (
            "5070",
            "Betalingen kunne ikke opprettes for dette salgsstedet.",
            "The payment cannot be created for this sales unit."
        ),
        (
            "5080",
            "Push-varsel er ikke aktivert for dette salgsstedet. Bruk QR-kode i stedet.",
            "Push messages are not enabled for this sales unit. Use a QR code instead."
        ),
        (
            "5090",
            "Vipps finner ikke betalingen for dette salgsstedet (MSN).",
            "Vipps cannot find the payment for this sales unit (MSN)."
        ),
        (
            "5100",
            "Refusjon er ikke mulig for dette salgsstedet.",
            "Refunds are not possible for this sales unit."
        ),
        (
            "6010",
            "Beløpet er for lavt for Vipps.",
            "The amount is too small for Vipps."
        ),
        (
            "6020",
            "Kan ikke refundere før betalingen er godkjent.",
            "Cannot refund before the payment is approved."
        ),
        (
            "6030",
            "Fristen for å kansellere er ute. Bruk refusjon.",
            "The cancel period has expired. Use a refund."
        ),
        (
            "6040",
            "Betalingen er allerede trukket og kan ikke kanselleres. Bruk refusjon.",
            "The payment is already captured and cannot be cancelled. Use a refund."
        ),
        (
            "6050",
            "Betalingen er ikke reservert og kan ikke kanselleres.",
            "The payment is not reserved and cannot be cancelled."
        ),
        (
            "6060",
            "Kunden har akkurat godkjent betalingen – den ble ikke kansellert. Sjekk status.",
            "The customer has just approved the payment – it was not cancelled. Check the status."
        ),
        (
            "6070",
            "Betalingen er kansellert og kan ikke trekkes.",
            "The payment is cancelled and cannot be captured."
        ),
        (
            "6080",
            "Betalingen er ikke godkjent ennå og kan ikke trekkes.",
            "The payment is not approved yet and cannot be captured."
        ),
        (
            "6090",
            "Beløpet er høyere enn det som er reservert.",
            "The amount is higher than what is reserved."
        ),
        (
            "6100",
            "Fristen for å trekke beløpet er ute.",
            "The capture period has expired."
        ),
        (
            "6110",
            "Utløpstiden er for sen.",
            "The expiry time is too late."
        ),
        (
            "6120",
            "Utløpstiden er for tidlig.",
            "The expiry time is too early."
        ),
        (
            "6130",
            "Lang utløpstid krever kvittering.",
            "Long expiry requires a receipt."
        ),
        (
            "6140",
            "Hele beløpet må trekkes på en gang.",
            "The full amount must be captured at once."
        ),
        (
            "6150",
            "Det er ikke nok igjen å refundere.",
            "There is not enough left to refund."
        ),
        (
            "6160",
            "Betalingen behandles hos Vipps. Kassen prøver igjen.",
            "Vipps is processing the payment. The till will retry."
        ),
        (
            "6170",
            "Beløpet er allerede trukket.",
            "The amount is already captured."
        ),
        (
            "6180",
            "Beløpet er allerede refundert.",
            "The amount is already refunded."
        ),
        (
            "6190",
            "Betalingen kan ikke kanselleres i denne tilstanden.",
            "The payment cannot be cancelled in this state."
        ),
        (
            "6200",
            "Betalingen kan ikke trekkes i denne tilstanden.",
            "The payment cannot be captured in this state."
        ),
        (
            "6210",
            "Betalingen kan ikke refunderes i denne tilstanden.",
            "The payment cannot be refunded in this state."
        ),
        (
            "6220",
            "Fristen for refusjon er ute.",
            "The refund period has expired."
        ),
        (
            "6230",
            "Betalingen er allerede reservert.",
            "The payment is already reserved."
        ),
        (
            "6250",
            "Kunden godkjenner betalingen akkurat nå; den kan ikke kanselleres. Vent litt.",
            "The customer is approving right now; it cannot be cancelled. Wait a moment."
        ),
        (
            "6260",
            "Pengene er ikke lenger tilgjengelige på kundens konto.",
            "The funds are no longer available on the customer's account."
        ),
        (
            "6280",
            "Trekket feilet midlertidig. Kassen prøver igjen med samme nøkkel.",
            "The capture failed temporarily. The till will retry with the same key."
        ),
        (
            "7010",
            "Nummeret kan ikke betale butikker med Vipps (ikke Vipps-bruker, eller ikke tillatt). Vis QR-kode i stedet, eller velg annen betaling.",
            "The number cannot pay shops with Vipps (not a Vipps user, or not allowed). Show a QR code instead, or choose another payment method."
        ),
        ("10010", "Testgodkjenning feilet.", "Test approval failed."),
        (
            "10020",
            "Testgodkjenning er ikke tillatt.",
            "Test approval is not allowed."
        ),
        (
            "10030",
            "Testbrukeren må identifisere seg (BankID) i testappen først.",
            "The test user must identify (BankID) in the test app first."
        ),
        (
            "10040",
            "Ugyldig kilde for testgodkjenning.",
            "Invalid source for test approval."
        ),
        (
            "10050",
            "Testbrukeren har ingen kort.",
            "The test user has no cards."
        ),
        (
            "10060",
            "Testgodkjenning støttes ikke for denne betalingen.",
            "Test approval is not supported for this payment."
        ),
        (
            "10070",
            "Grense for testgodkjenning er nådd.",
            "The test approval limit is reached."
        ),
    ]
);

code_table!(
    ecom_payment_text,
    ECOM_PAYMENT_CODES,
    [
        (
            "41",
            "Kunden har ikke gyldig kort i Vipps.",
            "The customer has no valid card in Vipps."
        ),
        (
            "42",
            "Kortet ble avvist av banken. Be kunden bruke et annet kort.",
            "The card was refused by the bank. Ask the customer to use another card."
        ),
        (
            "43",
            "Banken avviste beløpet.",
            "The bank refused the amount."
        ),
        ("44", "Kortet er utløpt.", "The card has expired."),
        (
            "45",
            "Reservasjonen feilet, eller kunden svarte ikke i tide.",
            "The reservation failed, or the customer did not respond in time."
        ),
        (
            "51",
            "Kan ikke kansellere en betaling som er trukket. Bruk refusjon.",
            "Cannot cancel a captured payment. Use a refund."
        ),
        ("52", "Kanselleringen feilet.", "The cancel failed."),
        (
            "61",
            "Beløpet er høyere enn det som er reservert.",
            "The amount is higher than what is reserved."
        ),
        (
            "62",
            "Betalingen er ikke reservert ennå og kan ikke trekkes.",
            "The payment is not reserved yet and cannot be captured."
        ),
        (
            "63",
            "Usikkert om trekket gikk gjennom. Kassen sjekker status.",
            "Unknown whether the capture went through. The till is checking the status."
        ),
        (
            "71",
            "Refusjonen er høyere enn beløpet som er trukket.",
            "The refund is higher than the captured amount."
        ),
        (
            "72",
            "Betalingen er bare reservert. Kanseller i stedet for å refundere.",
            "The payment is only reserved. Cancel instead of refunding."
        ),
        (
            "73",
            "Kan ikke refundere en kansellert betaling.",
            "Cannot refund a cancelled payment."
        ),
        (
            "74",
            "Refusjonen kunne ikke belastes butikken.",
            "The refund could not be debited from the shop."
        ),
        (
            "93",
            "Gjentatt forespørsel har annet beløp enn første forsøk.",
            "The retried request has a different amount than the first attempt."
        ),
        (
            "95",
            "Fristen for refusjon (365 dager) er ute.",
            "The refund period (365 days) has expired."
        ),
        (
            "98",
            "Fristen for å trekke eller kansellere (180 dager) er ute.",
            "The capture/cancel period (180 days) has expired."
        ),
        (
            "1082",
            "Testbrukeren er ikke verifisert med BankID.",
            "The test user is not verified with BankID."
        ),
    ]
);

code_table!(
    ecom_vipps_text,
    ECOM_VIPPS_CODES,
    [
        (
            "91",
            "Handlingen er ikke tillatt for denne betalingen.",
            "This action is not allowed for this payment."
        ),
        (
            "92",
            "Betalingen er allerede behandlet.",
            "The payment is already processed."
        ),
        (
            "93",
            "Gjentatt forespørsel stemmer ikke med første forsøk.",
            "The retried request does not match the first attempt."
        ),
        (
            "94",
            "Betalingen behandles hos Vipps. Kassen prøver igjen.",
            "Vipps is processing the payment. The till will retry."
        ),
        (
            "98",
            "For mange samtidige forespørsler. Prøv igjen om litt.",
            "Too many concurrent requests. Try again shortly."
        ),
        (
            "99",
            "Intern feil hos Vipps (ofte en ugyldig forespørsel). Se loggen.",
            "Internal error at Vipps (often an invalid request). See the log."
        ),
    ]
);

code_table!(
    ecom_user_text,
    ECOM_USER_CODES,
    [
        (
            "81",
            "Nummeret kan ikke betale butikker med Vipps (ikke Vipps-bruker, eller ikke tillatt). Vis QR-kode i stedet, eller velg annen betaling.",
            "The number cannot pay shops with Vipps (not a Vipps user, or not allowed). Show a QR code instead, or choose another payment method."
        ),
        (
            "82",
            "Kundens Vipps-app er for gammel. Be kunden oppdatere appen.",
            "The customer's Vipps app is too old. Ask them to update it."
        ),
    ]
);

code_table!(
    ecom_merchant_text,
    ECOM_MERCHANT_CODES,
    [
        (
            "31",
            "Salgsstedet er blokkert hos Vipps.",
            "The sales unit is blocked at Vipps."
        ),
        (
            "32",
            "Salgsstedet har nådd grensen for mottak.",
            "The sales unit has reached its receiving limit."
        ),
        (
            "33",
            "Salgsstedet har nådd grensen for forespørsler.",
            "The sales unit has reached its request limit."
        ),
        (
            "34",
            "Ordrenummeret er allerede brukt. Start et nytt salg.",
            "The order id is already used. Start a new sale."
        ),
        (
            "35",
            "Vipps finner ikke ordren for dette salgsstedet.",
            "Vipps cannot find the order for this sales unit."
        ),
        (
            "36",
            "Avtalen med Vipps er ikke signert.",
            "The Vipps agreement is not signed."
        ),
        (
            "37",
            "Salgsstedet er ikke tilgjengelig eller deaktivert.",
            "The sales unit is unavailable or deactivated."
        ),
        (
            "38",
            "Push-varsel (skip landing page) er ikke aktivert for dette salgsstedet. Bruk QR-kode i stedet.",
            "Push messages (skip landing page) are not enabled for this sales unit. Use a QR code instead."
        ),
        (
            "39",
            "Salgsstedet kan ikke bruke lang utløpstid.",
            "The sales unit cannot use long expiry."
        ),
        (
            "51",
            "Salgsstedet har ikke lov til å be om fødselsnummer.",
            "The sales unit may not ask for the national id number."
        ),
        (
            "97",
            "Salgsstedet har ikke lov til å ta betalt.",
            "The sales unit is not allowed to take payments."
        ),
    ]
);

code_table!(
    psp_code_text,
    PSP_CODES,
    [
        (
            "21",
            "Salgsstedet er ikke tilgjengelig.",
            "The merchant is not available."
        ),
        (
            "42",
            "Ugyldig betalingsmodell for salgsstedet.",
            "Invalid payment model for the merchant."
        ),
        (
            "44",
            "Transaksjons-id-en (pspTransactionId) finnes allerede.",
            "The pspTransactionId already exists."
        ),
        (
            "51",
            "Ugyldig forespørsel eller ugyldig pspRedirectUrl.",
            "Invalid request or invalid pspRedirectUrl."
        ),
        (
            "99",
            "Ordrenummeret er allerede brukt. Start et nytt salg.",
            "The order id is already used. Start a new sale."
        ),
        (
            "121",
            "Problem med avtalen (agreement).",
            "Problem with the agreement."
        ),
        (
            "122",
            "Problem med avtalen (agreement).",
            "Problem with the agreement."
        ),
        (
            "123",
            "Problem med token for avtalen.",
            "Problem with the agreement token."
        ),
        (
            "124",
            "Problem med token for avtalen.",
            "Problem with the agreement token."
        ),
        (
            "amount.less.than.one",
            "Beløpet er for lavt.",
            "The amount is too small."
        ),
        (
            "transaction.currency.invalid",
            "Ugyldig valuta. Bare NOK støttes.",
            "Invalid currency. Only NOK is supported."
        ),
    ]
);

fn ecom_code_text(group: &str, code: &str) -> Option<Text> {
    match group {
        "Payment" => ecom_payment_text(code),
        "VippsError" => ecom_vipps_text(code),
        "User" => ecom_user_text(code),
        "Merchant" => ecom_merchant_text(code),
        _ => None,
    }
}
