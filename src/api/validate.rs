//! Validate before sending: every rule the specs state that we can check locally. A failure
//! names the field and says what to do (nb + en); nothing is sent.

use crate::api::ecom;
use crate::api::epayment::{self, Amount, UserFlow};
use crate::api::order_management::{Image, Order, Receipt};
use crate::api::psp;
use crate::lang::Text;
use std::fmt;

/// Maximum ePayment amount (minor units).
pub const EPAYMENT_MAX_AMOUNT: i64 = 65_000_000;
/// Minimum eCom / PSP amount (øre).
pub const ECOM_MIN_AMOUNT: i64 = 100;

/// A broken rule: which field, and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// The field as named on the wire, e.g. `customer.phoneNumber`.
    pub field: String,
    pub text: Text,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.text.en)
    }
}

impl std::error::Error for ValidationError {}

fn err(field: &str, nb: impl Into<String>, en: impl Into<String>) -> ValidationError {
    ValidationError {
        field: field.to_owned(),
        text: Text::new(nb, en),
    }
}

fn id_chars(s: &str, extra: &[char]) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || extra.contains(&c))
}

/// ePayment `reference`: `^[a-zA-Z0-9-]{8,50}$`.
pub fn epayment_reference(field: &str, s: &str) -> Result<(), ValidationError> {
    if (8..=50).contains(&s.len()) && id_chars(s, &[]) {
        Ok(())
    } else {
        Err(err(
            field,
            format!("Referansen «{s}» må være 8–50 tegn: bokstaver a–z, tall og bindestrek."),
            format!(
                "The reference “{s}” must be 8–50 characters: letters a–z, digits and hyphens."
            ),
        ))
    }
}

/// eCom `orderId` / PSP `merchantOrderId`: `^[a-zA-Z0-9-]{1,50}$`.
pub fn order_id(field: &str, s: &str) -> Result<(), ValidationError> {
    if (1..=50).contains(&s.len()) && id_chars(s, &[]) {
        Ok(())
    } else {
        Err(err(
            field,
            format!("Ordrenummeret «{s}» må være 1–50 tegn: bokstaver a–z, tall og bindestrek."),
            format!("The order id “{s}” must be 1–50 characters: letters a–z, digits and hyphens."),
        ))
    }
}

/// Order Management `orderId` / `imageId`: `^[0-9A-Za-z-_\.]+$` (image ids ≤128).
pub fn om_id(field: &str, s: &str, max: usize) -> Result<(), ValidationError> {
    if (1..=max).contains(&s.len()) && id_chars(s, &['_', '.']) {
        Ok(())
    } else {
        Err(err(
            field,
            format!("«{s}» må være 1–{max} tegn: bokstaver, tall, -, _ og punktum."),
            format!("“{s}” must be 1–{max} characters: letters, digits, -, _ and dots."),
        ))
    }
}

/// PSP `pspTransactionId`: 1..=36, letters/digits/hyphens.
pub fn psp_transaction_id(s: &str) -> Result<(), ValidationError> {
    if (1..=36).contains(&s.len()) && id_chars(s, &[]) {
        Ok(())
    } else {
        Err(err(
            "pspTransactionId",
            format!("Transaksjons-id-en «{s}» må være 1–36 tegn: bokstaver, tall og bindestrek."),
            format!(
                "The transaction id “{s}” must be 1–36 characters: letters, digits and hyphens."
            ),
        ))
    }
}

/// Merchant serial number: 4–6 digits (eCom: 5–6).
pub fn msn(field: &str, s: &str, min: usize) -> Result<(), ValidationError> {
    if (min..=6).contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(err(
            field,
            format!("Salgsstedsnummeret (MSN) «{s}» må være {min}–6 siffer."),
            format!("The merchant serial number (MSN) “{s}” must be {min}–6 digits."),
        ))
    }
}

/// `Idempotency-Key`: 1..=50 characters.
pub fn idempotency_key(s: &str) -> Result<(), ValidationError> {
    if (1..=50).contains(&s.chars().count()) && s.chars().all(|c| c.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(err(
            "Idempotency-Key",
            "Idempotensnøkkelen må være 1–50 synlige ASCII-tegn.",
            "The idempotency key must be 1–50 visible ASCII characters.",
        ))
    }
}

/// eCom `X-Request-Id`: 1..=40 characters (≤30 recommended).
pub fn request_id(s: &str) -> Result<(), ValidationError> {
    if (1..=40).contains(&s.chars().count()) && s.chars().all(|c| c.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(err(
            "X-Request-Id",
            "X-Request-Id må være 1–40 synlige ASCII-tegn.",
            "X-Request-Id must be 1–40 visible ASCII characters.",
        ))
    }
}

/// ePayment payment amount: currency minimum (NOK 100 øre, DKK/EUR 1) up to 65 000 000.
pub fn epayment_amount(field: &str, a: Amount) -> Result<(), ValidationError> {
    let min = a.currency.epayment_minimum();
    if a.value < min || a.value > EPAYMENT_MAX_AMOUNT {
        return Err(err(
            field,
            format!(
                "Beløpet må være mellom {} og {} (minste enhet {}, uten desimaler).",
                crate::domain::money::Money::new(min, a.currency),
                crate::domain::money::Money::new(EPAYMENT_MAX_AMOUNT, a.currency),
                a.currency
            ),
            format!(
                "The amount must be between {} and {} (minor units of {}, no decimals).",
                crate::domain::money::Money::new(min, a.currency),
                crate::domain::money::Money::new(EPAYMENT_MAX_AMOUNT, a.currency),
                a.currency
            ),
        ));
    }
    Ok(())
}

/// ePayment capture/refund amount: 1 ..= 65 000 000.
pub fn modification_amount(field: &str, a: Amount) -> Result<(), ValidationError> {
    if a.value < 1 || a.value > EPAYMENT_MAX_AMOUNT {
        return Err(err(
            field,
            "Beløpet må være større enn null og høyst 650 000,00.",
            "The amount must be above zero and at most 650 000.00.",
        ));
    }
    Ok(())
}

/// eCom / PSP amount: at least 100 øre (NOK 1,00), within int32.
pub fn ecom_amount(field: &str, øre: i64) -> Result<(), ValidationError> {
    if !(ECOM_MIN_AMOUNT..=i64::from(i32::MAX)).contains(&øre) {
        return Err(err(
            field,
            "Beløpet må være minst kr 1,00 (100 øre).",
            "The amount must be at least NOK 1.00 (100 øre).",
        ));
    }
    Ok(())
}

fn phone_error(field: &str, input: &str) -> ValidationError {
    err(
        field,
        format!(
            "«{input}» er ikke et gyldig mobilnummer. Skriv 8 siffer (norsk) eller med landkode, f.eks. +47 912 34 567, +45 …, +358 …"
        ),
        format!(
            "“{input}” is not a valid mobile number. Enter 8 digits (Norwegian) or with country code, e.g. +47 912 34 567, +45 …, +358 …"
        ),
    )
}

/// Normalise a phone number typed at the till to an MSISDN (digits, country code, no `+`),
/// as ePayment `customer.phoneNumber` wants it (`^\d{10,15}$`).
///
/// Accepts `+47 912 34 567`, `0047 91234567`, `91234567` (8 digits: Norway assumed),
/// `4791234567`, `+45 12 34 56 78`, `+358 40 123 4567`; spaces, dashes, dots and parentheses
/// are ignored.
pub fn normalize_msisdn(input: &str) -> Result<String, ValidationError> {
    const FIELD: &str = "customer.phoneNumber";
    let trimmed = input.trim();
    let mut plus = false;
    let mut digits = String::new();
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '+' if i == 0 => plus = true,
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
            _ => return Err(phone_error(FIELD, input)),
        }
    }
    let msisdn = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else if digits.len() == 8 {
        format!("47{digits}")
    } else {
        digits
    };
    let ok_len = (10..=15).contains(&msisdn.len()) && !msisdn.starts_with('0');
    let ok_country = match msisdn.get(..2) {
        Some("47") | Some("45") => msisdn.len() == 10,
        _ => true,
    };
    if ok_len && ok_country {
        Ok(msisdn)
    } else {
        Err(phone_error(FIELD, input))
    }
}

/// Normalise to the 8-digit Norwegian number eCom (`mobileNumber`) and PSP
/// (`customerMobileNumber`) want: strips `+47`, `0047` and spaces.
pub fn norwegian_8_digits(input: &str) -> Result<String, ValidationError> {
    const FIELD: &str = "mobileNumber";
    let msisdn = normalize_msisdn(input).map_err(|_| phone_error(FIELD, input))?;
    match msisdn.strip_prefix("47") {
        Some(rest) if rest.len() == 8 => Ok(rest.to_owned()),
        _ => Err(err(
            FIELD,
            format!(
                "«{input}» er ikke et norsk mobilnummer (8 siffer). Denne betalingsmåten støtter bare norske nummer."
            ),
            format!(
                "“{input}” is not a Norwegian mobile number (8 digits). This payment method only supports Norwegian numbers."
            ),
        )),
    }
}

fn text_len(field: &str, s: &str, min: usize, max: usize) -> Result<(), ValidationError> {
    let n = s.chars().count();
    if (min..=max).contains(&n) {
        Ok(())
    } else {
        Err(err(
            field,
            format!("Teksten i «{field}» må være {min}–{max} tegn (nå {n})."),
            format!("The text in “{field}” must be {min}–{max} characters (now {n})."),
        ))
    }
}

/// ePayment `paymentDescription`: 3..=100.
pub fn payment_description(s: &str) -> Result<(), ValidationError> {
    text_len("paymentDescription", s, 3, 100)
}

/// eCom `transactionText` (required): 1..=100.
pub fn transaction_text(field: &str, s: &str) -> Result<(), ValidationError> {
    text_len(field, s, 1, 100)
}

fn https_or_scheme(field: &str, url: &str) -> Result<(), ValidationError> {
    let ok = match url.split_once("://") {
        Some(("http", _)) | None => false,
        Some((scheme, rest)) => !scheme.is_empty() && !rest.is_empty(),
    };
    if ok && url.len() <= 255 {
        Ok(())
    } else {
        Err(err(
            field,
            format!(
                "Lenken i «{field}» må starte med https:// (eller en app-lenke) og være høyst 255 tegn."
            ),
            format!(
                "The URL in “{field}” must start with https:// (or an app scheme) and be at most 255 characters."
            ),
        ))
    }
}

/// A receipt: at least one line, every line `totalAmount − totalAmountExcludingTax ==
/// totalTaxAmount`, no negative amounts, `taxRate` 0..=10000, valid quantity.
pub fn receipt(field: &str, r: &Receipt) -> Result<(), ValidationError> {
    if r.order_lines.is_empty() {
        return Err(err(
            &format!("{field}.orderLines"),
            "Kvitteringen må ha minst én varelinje.",
            "The receipt needs at least one order line.",
        ));
    }
    for (i, l) in r.order_lines.iter().enumerate() {
        let f = format!("{field}.orderLines[{i}]");
        if !l.identity_holds() {
            return Err(err(
                &format!("{f}.totalTaxAmount"),
                format!(
                    "Linje «{}»: totalbeløp − beløp uten mva ({} − {}) er ikke lik mva-beløpet {}.",
                    l.name, l.total_amount, l.total_amount_excluding_tax, l.total_tax_amount
                ),
                format!(
                    "Line “{}”: total − total excluding tax ({} − {}) does not equal the tax amount {}.",
                    l.name, l.total_amount, l.total_amount_excluding_tax, l.total_tax_amount
                ),
            ));
        }
        if l.total_amount < 0 || l.total_amount_excluding_tax < 0 || l.total_tax_amount < 0 {
            return Err(err(
                &format!("{f}.totalAmount"),
                format!(
                    "Linje «{}» har negativt beløp. Bruk retur-merking i stedet.",
                    l.name
                ),
                format!(
                    "Line “{}” has a negative amount. Mark it as a return instead.",
                    l.name
                ),
            ));
        }
        if l.tax_rate.is_none() && l.tax_percentage.is_none() {
            return Err(err(
                &format!("{f}.taxRate"),
                format!("Linje «{}» mangler mva-sats.", l.name),
                format!("Line “{}” has no VAT rate.", l.name),
            ));
        }
        if matches!(l.tax_rate, Some(t) if !(0..=10_000).contains(&t)) {
            return Err(err(
                &format!("{f}.taxRate"),
                format!(
                    "Linje «{}»: mva-sats må være 0–10000 (hundredels prosent).",
                    l.name
                ),
                format!(
                    "Line “{}”: the VAT rate must be 0–10000 (hundredths of a percent).",
                    l.name
                ),
            ));
        }
        if l.name.trim().is_empty() || l.id.trim().is_empty() {
            return Err(err(
                &format!("{f}.name"),
                "Varelinjen mangler navn eller id.",
                "The order line has no name or id.",
            ));
        }
        if let Some(u) = &l.unit_info {
            let q = &u.quantity;
            let valid = q.len() <= 10
                && match q.split_once('.') {
                    None => !q.is_empty() && q.chars().all(|c| c.is_ascii_digit()),
                    Some((a, b)) => {
                        !a.is_empty()
                            && a.chars().all(|c| c.is_ascii_digit())
                            && (1..=8).contains(&b.len())
                            && b.chars().all(|c| c.is_ascii_digit())
                    }
                };
            if !valid || matches!(u.unit_price, Some(p) if p < 0) {
                return Err(err(
                    &format!("{f}.unitInfo.quantity"),
                    format!(
                        "Linje «{}»: ugyldig antall «{q}» (bruk punktum, høyst 10 tegn).",
                        l.name
                    ),
                    format!(
                        "Line “{}”: invalid quantity “{q}” (use a dot, at most 10 characters).",
                        l.name
                    ),
                ));
            }
        }
        if matches!(l.discount, Some(d) if d < 0) {
            return Err(err(
                &format!("{f}.discount"),
                "Rabatt kan ikke være negativ.",
                "A discount cannot be negative.",
            ));
        }
    }
    let bl = &r.bottom_line;
    if matches!(bl.tip_amount, Some(t) if t < 0) {
        return Err(err(
            &format!("{field}.bottomLine.tipAmount"),
            "Tips kan ikke være negativt.",
            "A tip cannot be negative.",
        ));
    }
    if let Some(b) = &bl.barcode
        && b.data.trim().is_empty()
    {
        return Err(err(
            &format!("{field}.bottomLine.barcode.data"),
            "Strekkoden er tom.",
            "The barcode is empty.",
        ));
    }
    Ok(())
}

/// Everything checkable in an ePayment create request.
pub fn epayment_create(r: &epayment::CreatePaymentRequest) -> Result<(), ValidationError> {
    epayment_reference("reference", &r.reference)?;
    epayment_amount("amount.value", r.amount)?;
    if let Some(c) = &r.customer {
        if c.identities() != 1 {
            return Err(err(
                "customer",
                "Oppgi nøyaktig én av telefonnummer, personlig QR eller kundetoken.",
                "Give exactly one of phone number, personal QR or customer token.",
            ));
        }
        if let Some(p) = &c.phone_number
            && (!(10..=15).contains(&p.len()) || !p.chars().all(|ch| ch.is_ascii_digit()))
        {
            return Err(phone_error("customer.phoneNumber", p));
        }
        if let Some(q) = &c.personal_qr {
            text_len("customer.personalQr", q, 5, 255)?;
        }
    }
    if r.user_flow == UserFlow::PushMessage
        && r.customer.as_ref().is_none_or(|c| c.identities() == 0)
    {
        return Err(err(
            "customer",
            "Push-varsel krever telefonnummer eller skannet personlig QR.",
            "A push message needs a phone number or a scanned personal QR.",
        ));
    }
    if r.user_flow == UserFlow::WebRedirect && r.return_url.is_none() {
        return Err(err(
            "returnUrl",
            "WEB_REDIRECT krever returnUrl.",
            "WEB_REDIRECT requires returnUrl.",
        ));
    }
    if !r.user_flow.is_known() || !r.payment_method.kind.is_known() {
        return Err(err(
            "userFlow",
            "Ukjent betalingsflyt eller betalingsmetode.",
            "Unknown user flow or payment method.",
        ));
    }
    if let Some(u) = &r.return_url {
        https_or_scheme("returnUrl", u)?;
    }
    if let Some(u) = &r.receipt_url {
        https_or_scheme("receiptUrl", u)?;
    }
    if let Some(d) = &r.payment_description {
        payment_description(d)?;
    }
    if let Some(q) = &r.qr_format {
        if r.user_flow != UserFlow::Qr {
            return Err(err(
                "qrFormat",
                "qrFormat kan bare brukes med QR-flyt.",
                "qrFormat can only be used with the QR flow.",
            ));
        }
        if matches!(q.size, Some(s) if !(100..=2000).contains(&s)) {
            return Err(err(
                "qrFormat.size",
                "QR-størrelse må være 100–2000 piksler.",
                "The QR size must be 100–2000 pixels.",
            ));
        }
    }
    if r.expires_at.is_some() && r.receipt.is_none() {
        return Err(err(
            "receipt",
            "Utløpstid (expiresAt) krever kvittering.",
            "An expiry time (expiresAt) requires a receipt.",
        ));
    }
    if let Some(m) = &r.metadata
        && (m.len() > 5
            || m.iter()
                .any(|(k, v)| k.chars().count() > 100 || v.chars().count() > 500))
    {
        return Err(err(
            "metadata",
            "Metadata: høyst 5 par, nøkkel ≤100 og verdi ≤500 tegn.",
            "Metadata: at most 5 pairs, key ≤100 and value ≤500 characters.",
        ));
    }
    if let Some(rc) = &r.receipt {
        receipt("receipt", rc)?;
        if rc.bottom_line.currency != r.amount.currency {
            return Err(err(
                "receipt.bottomLine.currency",
                "Kvitteringens valuta må være lik betalingens.",
                "The receipt currency must equal the payment currency.",
            ));
        }
    }
    Ok(())
}

/// eCom initiate.
pub fn ecom_initiate(r: &ecom::InitiatePaymentRequest) -> Result<(), ValidationError> {
    order_id("transaction.orderId", &r.transaction.order_id)?;
    ecom_amount("transaction.amount", r.transaction.amount)?;
    transaction_text(
        "transaction.transactionText",
        &r.transaction.transaction_text,
    )?;
    msn(
        "merchantInfo.merchantSerialNumber",
        &r.merchant_info.merchant_serial_number,
        5,
    )?;
    if let Some(m) = &r.customer_info.mobile_number
        && (m.len() != 8 || !m.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(phone_error("customerInfo.mobileNumber", m));
    }
    if r.transaction.skip_landing_page == Some(true) && r.customer_info.mobile_number.is_none() {
        return Err(err(
            "customerInfo.mobileNumber",
            "Push-varsel (skipLandingPage) krever mobilnummer.",
            "A push message (skipLandingPage) needs a mobile number.",
        ));
    }
    let cb = &r.merchant_info.callback_prefix;
    if !cb.starts_with("https://") || cb.len() > 255 {
        return Err(err(
            "merchantInfo.callbackPrefix",
            "callbackPrefix må starte med https:// og være høyst 255 tegn.",
            "callbackPrefix must start with https:// and be at most 255 characters.",
        ));
    }
    if r.merchant_info.is_app != Some(true) {
        let fb = &r.merchant_info.fall_back;
        let loopback_http = fb.starts_with("http://127.0.0.1");
        if !loopback_http {
            https_or_scheme("merchantInfo.fallBack", fb)?;
        }
    }
    Ok(())
}

/// eCom capture / refund body.
pub fn ecom_actions(r: &ecom::PaymentActionsRequest) -> Result<(), ValidationError> {
    msn(
        "merchantInfo.merchantSerialNumber",
        &r.merchant_info.merchant_serial_number,
        5,
    )?;
    transaction_text(
        "transaction.transactionText",
        &r.transaction.transaction_text,
    )?;
    if let Some(a) = r.transaction.amount
        && a != 0
    {
        ecom_amount("transaction.amount", a)?;
    }
    Ok(())
}

/// eCom cancel body.
pub fn ecom_cancel(r: &ecom::CancelPaymentActionRequest) -> Result<(), ValidationError> {
    msn(
        "merchantInfo.merchantSerialNumber",
        &r.merchant_info.merchant_serial_number,
        5,
    )?;
    transaction_text(
        "transaction.transactionText",
        &r.transaction.transaction_text,
    )
}

/// PSP init.
pub fn psp_init(r: &psp::InitiatePaymentRequest) -> Result<(), ValidationError> {
    psp_transaction_id(&r.psp_transaction_id)?;
    order_id("merchantOrderId", &r.merchant_order_id)?;
    ecom_amount("amount", r.amount)?;
    if r.currency != "NOK" {
        return Err(err(
            "currency",
            "PSP-betalinger støtter bare NOK.",
            "PSP payments only support NOK.",
        ));
    }
    if let Some(m) = &r.customer_mobile_number
        && (m.len() != 8 || !m.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(phone_error("customerMobileNumber", m));
    }
    if r.skip_landing_page == Some(true) && r.customer_mobile_number.is_none() {
        return Err(err(
            "customerMobileNumber",
            "Push-varsel (skipLandingPage) krever mobilnummer.",
            "A push message (skipLandingPage) needs a mobile number.",
        ));
    }
    if let Some(t) = &r.payment_text {
        text_len("paymentText", t, 1, 100)?;
    }
    if matches!(&r.make_payment_token, Some(t) if t.expose().len() > 255) {
        return Err(err(
            "makePaymentToken",
            "makePaymentToken kan være høyst 255 tegn.",
            "makePaymentToken can be at most 255 characters.",
        ));
    }
    for (f, u) in [
        ("makePaymentUrl", &r.make_payment_url),
        ("pspRedirectUrl", &r.psp_redirect_url),
    ] {
        if u.trim().is_empty() {
            return Err(err(
                f,
                format!("«{f}» mangler."),
                format!("“{f}” is missing."),
            ));
        }
    }
    Ok(())
}

/// Order Management image.
pub fn om_image(i: &Image) -> Result<(), ValidationError> {
    om_id("imageId", &i.image_id, 128)?;
    // 2 MB of image data is ~2.67 MB of base64.
    if i.src.is_empty() || i.src.len() > 2_800_000 || i.src.contains("://") {
        return Err(err(
            "src",
            "Bildet må være base64-data (PNG/JPEG), høyst 2 MB – ikke en lenke.",
            "The image must be base64 data (PNG/JPEG), at most 2 MB – not a URL.",
        ));
    }
    Ok(())
}

/// Order Management category.
pub fn om_category(o: &Order) -> Result<(), ValidationError> {
    if !o.category.is_known() {
        return Err(err("category", "Ukjent kategori.", "Unknown category."));
    }
    if !(o.order_details_url.starts_with("https://") || o.order_details_url.starts_with("http://"))
    {
        return Err(err(
            "orderDetailsUrl",
            "orderDetailsUrl må være en full lenke (https://…).",
            "orderDetailsUrl must be a full URL (https://…).",
        ));
    }
    if let Some(id) = &o.image_id {
        om_id("imageId", id, 128)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::order_management::{BottomLine, OrderLine};
    use crate::domain::money::Currency;

    #[test]
    fn msisdn_normalisation() {
        for (input, want) in [
            ("+47 912 34 567", "4791234567"),
            ("0047 91234567", "4791234567"),
            ("91234567", "4791234567"),
            ("912 34 567", "4791234567"),
            ("4791234567", "4791234567"),
            ("+45 12 34 56 78", "4512345678"),
            ("+358 40 123 4567", "358401234567"),
            ("+47-912-34-567", "4791234567"),
        ] {
            assert_eq!(normalize_msisdn(input).unwrap(), want, "{input}");
        }
        for bad in [
            "",
            "1234",
            "+47 1234",
            "phone",
            "+4591234567890123",
            "+47 912 34 5678",
        ] {
            let e = normalize_msisdn(bad).unwrap_err();
            assert_eq!(e.field, "customer.phoneNumber");
            assert!(!e.text.nb.is_empty() && !e.text.en.is_empty());
        }
    }

    #[test]
    fn norwegian_eight_digits() {
        assert_eq!(norwegian_8_digits("+47 912 34 567").unwrap(), "91234567");
        assert_eq!(norwegian_8_digits("91234567").unwrap(), "91234567");
        assert_eq!(norwegian_8_digits("0047 912 34 567").unwrap(), "91234567");
        assert!(norwegian_8_digits("+45 12 34 56 78").is_err());
        assert!(norwegian_8_digits("1234").is_err());
    }

    #[test]
    fn references_and_amounts() {
        assert!(epayment_reference("reference", "abc-1234").is_ok());
        assert!(epayment_reference("reference", "short").is_err());
        assert!(epayment_reference("reference", "has space1").is_err());
        assert!(epayment_reference("reference", &"a".repeat(51)).is_err());
        assert!(order_id("orderId", "a").is_ok());
        assert!(order_id("orderId", "").is_err());
        assert!(epayment_amount("amount", Amount::nok(100)).is_ok());
        assert!(epayment_amount("amount", Amount::nok(99)).is_err());
        assert!(epayment_amount("amount", Amount::new(1, Currency::Dkk)).is_ok());
        assert!(epayment_amount("amount", Amount::new(0, Currency::Eur)).is_err());
        assert!(epayment_amount("amount", Amount::nok(65_000_001)).is_err());
        assert!(ecom_amount("amount", 99).is_err());
        assert!(ecom_amount("amount", 100).is_ok());
        assert!(idempotency_key(&"k".repeat(50)).is_ok());
        assert!(idempotency_key(&"k".repeat(51)).is_err());
        assert!(idempotency_key("").is_err());
        assert!(payment_description("ab").is_err());
        assert!(payment_description("abc").is_ok());
        assert!(payment_description(&"x".repeat(101)).is_err());
    }

    #[test]
    fn receipt_identity_is_checked() {
        let mut l = OrderLine::new("1", "Kaffe", 12500, 10000, 2500);
        let ok = Receipt {
            order_lines: vec![l.clone()],
            bottom_line: BottomLine::new(Currency::Nok),
        };
        assert!(receipt("receipt", &ok).is_ok());
        l.total_tax_amount = 2499;
        let bad = Receipt {
            order_lines: vec![l],
            bottom_line: BottomLine::new(Currency::Nok),
        };
        let e = receipt("receipt", &bad).unwrap_err();
        assert_eq!(e.field, "receipt.orderLines[0].totalTaxAmount");
        let empty = Receipt {
            order_lines: vec![],
            bottom_line: BottomLine::new(Currency::Nok),
        };
        assert_eq!(
            receipt("receipt", &empty).unwrap_err().field,
            "receipt.orderLines"
        );
    }
}
