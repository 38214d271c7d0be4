//! Pure builders for the Order Management payloads of a sale: the `Receipt` (also embedded in
//! the ePayment create request), the category (`Order`) and the logo `Image`, plus the logo
//! checks. Nothing here does network IO; the engine sends the payloads through its outbox
//! (`upload_image` → `put_category` → `add_receipt`; a 409 on an image or receipt is done).

use crate::api::order_management::{
    Barcode, BarcodeFormat, BottomLine, Category, Image, ImageType, Order, OrderLine,
    PaymentSources, QuantityUnit as WireUnit, Receipt, UnitInfo,
};
use crate::api::validate;
use crate::domain::basket::QuantityUnit;
use crate::domain::money::{Currency, Money};
use crate::domain::receipt::ReceiptLine;
use crate::lang::Text;
use crate::receipt::ReceiptSettings;
use crate::receipt::model::{ReceiptError, Sale, Tender, TenderKind, check_tenders};
use std::path::Path;

/// Why an Order Management payload could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OmError {
    #[error(transparent)]
    Sale(#[from] ReceiptError),
    #[error(
        "Receipt line {index} \"{name}\": totalAmount − totalAmountExcludingTax ({total} − {excluding}) is not totalTaxAmount {tax}; the VAT split is wrong, fix the line's amounts"
    )]
    Identity {
        index: usize,
        name: String,
        total: i64,
        excluding: i64,
        tax: i64,
    },
    #[error(
        "Receipt line {index} \"{name}\": {field} is negative ({value}); amounts must be ≥ 0 (returns are flagged isReturn)"
    )]
    Negative {
        index: usize,
        name: String,
        field: &'static str,
        value: i64,
    },
    #[error("{field}: {}", text.en)]
    Invalid { field: String, text: Text },
    #[error(
        "receipt.category = \"{0}\" is not an Order Management category; use RECEIPT, GENERAL, ORDER_CONFIRMATION, DELIVERY, TICKET or BOOKING"
    )]
    UnknownCategory(String),
}

impl OmError {
    pub fn text(&self) -> Text {
        let nb = match self {
            OmError::Sale(e) => return e.text(),
            OmError::Invalid { text, field } => format!("{field}: {}", text.nb),
            OmError::Identity {
                index,
                name,
                total,
                excluding,
                tax,
            } => format!(
                "Kvitteringslinje {index} «{name}»: totalbeløp − beløp uten mva ({total} − {excluding}) er ikke mva-beløpet {tax}; mva-fordelingen er feil, rett linjens beløp"
            ),
            OmError::Negative {
                index,
                name,
                field,
                value,
            } => format!(
                "Kvitteringslinje {index} «{name}»: {field} er negativt ({value}); beløp må være ≥ 0 (retur merkes isReturn)"
            ),
            OmError::UnknownCategory(c) => format!(
                "receipt.category = «{c}» er ikke en Order Management-kategori; bruk RECEIPT, GENERAL, ORDER_CONFIRMATION, DELIVERY, TICKET eller BOOKING"
            ),
        };
        Text::new(nb, self.to_string())
    }
}

impl From<validate::ValidationError> for OmError {
    fn from(e: validate::ValidationError) -> Self {
        OmError::Invalid {
            field: e.field,
            text: e.text,
        }
    }
}

fn wire_unit(u: QuantityUnit) -> WireUnit {
    match u {
        QuantityUnit::Pcs => WireUnit::Pcs,
        QuantityUnit::Kg => WireUnit::Kg,
        QuantityUnit::Km => WireUnit::Km,
        QuantityUnit::Minute => WireUnit::Minute,
        QuantityUnit::Litre => WireUnit::Litre,
        QuantityUnit::Kwh => WireUnit::Kwh,
    }
}

/// Check the receipt identity and signs on every wire line.
pub fn check_lines(lines: &[OrderLine]) -> Result<(), OmError> {
    for (index, l) in lines.iter().enumerate() {
        for (field, value) in [
            ("totalAmount", l.total_amount),
            ("totalAmountExcludingTax", l.total_amount_excluding_tax),
            ("totalTaxAmount", l.total_tax_amount),
            ("discount", l.discount.unwrap_or(0)),
        ] {
            if value < 0 {
                return Err(OmError::Negative {
                    index,
                    name: l.name.clone(),
                    field,
                    value,
                });
            }
        }
        if l.total_amount.checked_sub(l.total_amount_excluding_tax) != Some(l.total_tax_amount) {
            return Err(OmError::Identity {
                index,
                name: l.name.clone(),
                total: l.total_amount,
                excluding: l.total_amount_excluding_tax,
                tax: l.total_tax_amount,
            });
        }
    }
    Ok(())
}

/// Wire `OrderLine`s from the domain receipt lines (`Basket::receipt_lines()`), with `taxRate`
/// in hundredths of a percent and `unitInfo`. The identity is checked; an error, not a panic.
pub fn order_lines(lines: &[ReceiptLine]) -> Result<Vec<OrderLine>, OmError> {
    let out: Vec<OrderLine> = lines
        .iter()
        .map(|l| OrderLine {
            name: l.name.clone(),
            id: l.id.clone(),
            total_amount: l.total_amount,
            total_amount_excluding_tax: l.total_amount_excluding_tax,
            total_tax_amount: l.total_tax_amount,
            tax_percentage: None,
            tax_rate: Some(i64::from(l.tax_rate)),
            unit_info: Some(UnitInfo {
                unit_price: Some(l.unit_price),
                quantity: l.quantity.clone(),
                quantity_unit: Some(wire_unit(l.quantity_unit)),
            }),
            discount: (l.discount != 0).then_some(l.discount),
            product_url: None,
            is_return: l.is_return.then_some(true),
            is_shipping: None,
        })
        .collect();
    check_lines(&out)?;
    Ok(out)
}

/// The Order Management / ePayment `Receipt` for `sale`:
/// `orderLines` from the basket, `bottomLine` with currency, `posId` (the till),
/// `receiptNumber`, `paymentSources` for the non-Vipps part of a split tender, `tipAmount`
/// when tipped, and a CODE 128 `barcode` of the receipt number when `cfg.app_barcode`.
/// (CODE 128 encodes any ASCII, so the 8-digit receipt number always satisfies its data rules.)
pub fn receipt(sale: &Sale, cfg: &ReceiptSettings) -> Result<Receipt, OmError> {
    check_tenders(sale)?;
    let lines = sale.basket.receipt_lines().map_err(ReceiptError::from)?;
    let order_lines = order_lines(&lines)?;
    let bl = bottom_line(
        sale.basket.currency(),
        &sale.till,
        &sale.receipt_number.to_string(),
        &sale.tenders,
        sale.tip,
        cfg.app_barcode,
    )?;
    assemble(order_lines, bl)
}

/// The `bottomLine` alone, for callers that map their own order lines (e.g. the engine's
/// journal-backed receipt): `posId` (omitted if blank), `receiptNumber`, `paymentSources`
/// (cash / card / giftCard / voucher sums; omitted when everything went through Vipps),
/// `tipAmount` (only when > 0), CODE 128 `barcode` of the receipt number when `barcode`.
pub fn bottom_line(
    currency: Currency,
    pos_id: &str,
    receipt_number: &str,
    tenders: &[Tender],
    tip: Money,
    barcode: bool,
) -> Result<BottomLine, OmError> {
    let mut sources = PaymentSources::default();
    let add = |slot: &mut Option<i64>, v: i64| -> Result<(), OmError> {
        let cur = slot.unwrap_or(0);
        *slot = Some(cur.checked_add(v).ok_or(ReceiptError::Overflow)?);
        Ok(())
    };
    for t in tenders {
        let v = t.amount.minor();
        if v < 0 {
            return Err(ReceiptError::NegativeAmount {
                field: "paymentSources".to_owned(),
                amount: t.amount,
            }
            .into());
        }
        match t.kind {
            TenderKind::Vipps { .. } => {}
            TenderKind::Cash { .. } => add(&mut sources.cash, v)?,
            TenderKind::Card => add(&mut sources.card, v)?,
            TenderKind::GiftCard => add(&mut sources.gift_card, v)?,
            TenderKind::Voucher => add(&mut sources.voucher, v)?,
        }
    }
    let any_source = sources != PaymentSources::default();
    let mut bl = BottomLine::new(currency);
    bl.pos_id = (!pos_id.trim().is_empty()).then(|| pos_id.trim().to_owned());
    bl.receipt_number = Some(receipt_number.to_owned());
    bl.tip_amount = (tip.minor() > 0).then_some(tip.minor());
    bl.payment_sources = any_source.then_some(sources);
    bl.barcode = (barcode && !receipt_number.trim().is_empty()).then(|| Barcode {
        format: BarcodeFormat::Code128,
        data: receipt_number.trim().to_owned(),
    });
    Ok(bl)
}

/// Put lines and bottom line together, checking the identity on every line and the rest of
/// the API layer's receipt rules before returning (an error, never a panic).
pub fn assemble(order_lines: Vec<OrderLine>, bottom_line: BottomLine) -> Result<Receipt, OmError> {
    let r = Receipt {
        order_lines,
        bottom_line,
    };
    check_lines(&r.order_lines)?;
    validate::receipt("receipt", &r)?;
    Ok(r)
}

/// The configured category, or `None` when `receipt.order_details_url` is not set (the
/// category needs a URL). `image_id` is the logo's id from [`LogoImage::image_id`].
pub fn category(cfg: &ReceiptSettings, image_id: Option<&str>) -> Result<Option<Order>, OmError> {
    let Some(url) = cfg.order_details_url.as_deref() else {
        return Ok(None);
    };
    let cat = Category::from_wire(cfg.category.trim());
    if !cat.is_known() {
        return Err(OmError::UnknownCategory(cfg.category.clone()));
    }
    let order = Order {
        category: cat,
        order_details_url: url.trim().to_owned(),
        image_id: image_id.map(str::to_owned),
    };
    validate::om_category(&order).map_err(|e| OmError::Invalid {
        field: format!("receipt.order_details_url / {}", e.field),
        text: e.text,
    })?;
    Ok(Some(order))
}

/// Everything Order Management needs for one sale, in the order to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OmPayloads {
    /// `POST /order-management/v1/images` — once per `image_id` (409 = already there).
    pub image: Option<Image>,
    /// `PUT /order-management/v2/ECOM/categories/{orderId}` (safe to repeat).
    pub category: Option<Order>,
    /// ePayment: put into `CreatePaymentRequest.receipt`; eCom:
    /// `POST /order-management/v2/ECOM/receipts/{orderId}` (409 = already there).
    pub receipt: Receipt,
}

/// Build all payloads for `sale`. `logo` is the checked logo (from [`load_logo`], loaded once
/// at start-up), or `None` to send no image.
pub fn payloads(
    sale: &Sale,
    cfg: &ReceiptSettings,
    logo: Option<&LogoImage>,
) -> Result<OmPayloads, OmError> {
    let receipt = receipt(sale, cfg)?;
    let category = category(cfg, logo.map(|l| l.image_id.as_str()))?;
    // The image is only useful with a category that shows it.
    let image = match (&category, logo) {
        (Some(_), Some(l)) => Some(l.payload()),
        _ => None,
    };
    Ok(OmPayloads {
        image,
        category,
        receipt,
    })
}

// ---------------------------------------------------------------------------------------------
// Logo
// ---------------------------------------------------------------------------------------------

/// Minimum height Vipps accepts.
pub const MIN_HEIGHT: u32 = 167;
/// Maximum file size Vipps accepts (2 MB).
pub const MAX_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpeg,
}

/// Why a logo cannot be used. Every message names the file and says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("Logo {file}: cannot read the file ({reason}); check receipt.logo in the config")]
    Read { file: String, reason: String },
    #[error("Logo {file}: not a PNG or JPEG image; save the logo as PNG or JPEG")]
    NotImage { file: String },
    #[error("Logo {file}: the image is damaged ({what}); export the logo again")]
    Corrupt { file: String, what: String },
    #[error(
        "Logo {file}: {height} px high, Vipps needs at least 167 px; use a larger logo (square, e.g. 512×512)"
    )]
    TooSmall { file: String, height: u32 },
    #[error("Logo {file}: {bytes} bytes, Vipps accepts at most 2 MB; make the file smaller")]
    TooBig { file: String, bytes: usize },
}

impl ImageError {
    pub fn text(&self) -> Text {
        let nb = match self {
            ImageError::Read { file, reason } => format!(
                "Logo {file}: kan ikke lese filen ({reason}); sjekk receipt.logo i oppsettet"
            ),
            ImageError::NotImage { file } => {
                format!(
                    "Logo {file}: ikke et PNG- eller JPEG-bilde; lagre logoen som PNG eller JPEG"
                )
            }
            ImageError::Corrupt { file, what } => {
                format!("Logo {file}: bildet er skadet ({what}); eksporter logoen på nytt")
            }
            ImageError::TooSmall { file, height } => format!(
                "Logo {file}: {height} px høy, Vipps krever minst 167 px; bruk en større logo (kvadratisk, f.eks. 512×512)"
            ),
            ImageError::TooBig { file, bytes } => {
                format!("Logo {file}: {bytes} byte, Vipps tar høyst 2 MB; gjør filen mindre")
            }
        };
        Text::new(nb, self.to_string())
    }
}

/// A checked logo, ready to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoImage {
    /// `kasse-logo-<16 hex>`: derived from the bytes, so the same logo always has the same id
    /// and is uploaded once.
    pub image_id: String,
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
    /// Non-fatal advice (e.g. not square).
    pub warnings: Vec<Text>,
}

impl LogoImage {
    /// The `POST /order-management/v1/images` body.
    pub fn payload(&self) -> Image {
        Image {
            image_id: self.image_id.clone(),
            src: base64(&self.bytes),
            kind: ImageType::Base64,
        }
    }
}

/// FNV-1a 64 over bytes (stable across platforms and versions).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The deterministic image id of `bytes`: `kasse-logo-<16 lowercase hex>`.
pub fn image_id(bytes: &[u8]) -> String {
    format!("kasse-logo-{:016x}", fnv1a(bytes))
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(char::from(A[(n >> 18) as usize & 63]));
        out.push(char::from(A[(n >> 12) as usize & 63]));
        out.push(if chunk.len() > 1 {
            char::from(A[(n >> 6) as usize & 63])
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            char::from(A[n as usize & 63])
        } else {
            '='
        });
    }
    out
}

/// CRC-32 (IEEE), for the PNG header check.
fn crc32(parts: &[&[u8]]) -> u32 {
    let mut c: u32 = 0xFFFF_FFFF;
    for part in parts {
        for &b in *part {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
    }
    !c
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at + 2)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

const PNG_SIG: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// (width, height) from the PNG IHDR (signature, chunk type, length and CRC checked).
fn png_size(b: &[u8]) -> Result<(u32, u32), String> {
    if be32(b, 8) != Some(13) || b.get(12..16) != Some(b"IHDR") {
        return Err("no IHDR header".to_owned());
    }
    let data = b.get(16..29).ok_or("IHDR cut short")?;
    let crc = be32(b, 29).ok_or("IHDR cut short")?;
    if crc32(&[b"IHDR", data]) != crc {
        return Err("IHDR checksum mismatch".to_owned());
    }
    let (w, h) = (be32(data, 0).unwrap_or(0), be32(data, 4).unwrap_or(0));
    if w == 0 || h == 0 {
        return Err("zero width or height".to_owned());
    }
    Ok((w, h))
}

/// (width, height) from the first JPEG SOFn frame header.
fn jpeg_size(b: &[u8]) -> Result<(u32, u32), String> {
    let mut i = 2;
    loop {
        // Skip fill bytes before a marker.
        while b.get(i) == Some(&0xFF) && b.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        if b.get(i) != Some(&0xFF) {
            return Err(format!("no marker at byte {i}"));
        }
        let marker = *b.get(i + 1).ok_or("cut short before a frame header")?;
        match marker {
            0xD8 | 0x01 | 0xD0..=0xD7 => {
                i += 2;
                continue;
            }
            0xD9 | 0xDA => return Err("no frame header (SOF) before the image data".to_owned()),
            _ => {}
        }
        let len = usize::from(be16(b, i + 2).ok_or("cut short in a segment header")?);
        if len < 2 {
            return Err(format!("bad segment length at byte {i}"));
        }
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            let h = be16(b, i + 5).ok_or("frame header cut short")?;
            let w = be16(b, i + 7).ok_or("frame header cut short")?;
            if w == 0 || h == 0 {
                return Err("zero width or height in the frame header".to_owned());
            }
            return Ok((u32::from(w), u32::from(h)));
        }
        i += 2 + len;
    }
}

/// Check logo bytes: PNG or JPEG by magic bytes, size from the header, height ≥ 167 px,
/// ≤ 2 MB; a non-square image gives a warning. `file` names the file in messages.
pub fn check_image(file: &str, bytes: Vec<u8>) -> Result<LogoImage, ImageError> {
    let file = file.to_owned();
    if bytes.len() > MAX_BYTES {
        return Err(ImageError::TooBig {
            file,
            bytes: bytes.len(),
        });
    }
    let (format, dims) = if bytes.starts_with(&PNG_SIG) {
        (ImageFormat::Png, png_size(&bytes))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        (ImageFormat::Jpeg, jpeg_size(&bytes))
    } else {
        return Err(ImageError::NotImage { file });
    };
    let (width, height) = dims.map_err(|what| ImageError::Corrupt {
        file: file.clone(),
        what,
    })?;
    if height < MIN_HEIGHT {
        return Err(ImageError::TooSmall { file, height });
    }
    let mut warnings = Vec::new();
    if width != height {
        warnings.push(Text::new(
            format!("Logo {file}: {width}×{height} px er ikke kvadratisk; Vipps anbefaler et kvadratisk bilde"),
            format!("Logo {file}: {width}×{height} px is not square; Vipps recommends a square image"),
        ));
    }
    Ok(LogoImage {
        image_id: image_id(&bytes),
        format,
        width,
        height,
        bytes,
        warnings,
    })
}

/// Read and check the logo at `path` (blocking file read: call it at startup or off the UI task).
pub fn load_logo(path: &Path) -> Result<LogoImage, ImageError> {
    let file = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| ImageError::Read {
        file: file.clone(),
        reason: e.to_string(),
    })?;
    if meta.len() > MAX_BYTES as u64 {
        return Err(ImageError::TooBig {
            file,
            bytes: usize::try_from(meta.len()).unwrap_or(usize::MAX),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| ImageError::Read {
        file: file.clone(),
        reason: e.to_string(),
    })?;
    check_image(&file, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(&[b"123456789"]), 0xCBF4_3926);
    }

    #[test]
    fn image_id_is_deterministic_and_valid() {
        let a = image_id(b"abc");
        assert_eq!(a, image_id(b"abc"));
        assert_ne!(a, image_id(b"abd"));
        assert!(a.len() <= 128);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }
}
