//! Receipts: the printable receipt model, Order Management payload builders, ESC/POS and text
//! rendering, and a print queue that never blocks a sale.
//!
//! - [`model`]: [`model::PrintableReceipt`] built from a [`model::Sale`] (pure, integer money).
//! - [`om`]: pure builders for the Order Management wire types (`Receipt`, `Order`, `Image`)
//!   plus the logo checks (PNG/JPEG by magic bytes, height ≥ 167 px, ≤ 2 MB).
//! - [`layout`]: the receipt laid out for a paper width — shared by [`text`] and [`escpos`] so
//!   the paper and the screen always say the same thing.
//! - [`text`]: plain-text rendering for terminals without a printer.
//! - [`escpos`]: the ESC/POS byte stream (escpos crate 0.17, code page PC865 Nordic by default).
//! - [`printer`]: printer targets (network, device file, plain file) and the print queue with
//!   retry, reprint, the drawer-only job and (with a [`printer::JobLog`]) durable jobs.

pub mod document;
pub mod escpos;
pub mod layout;
pub mod model;
pub mod om;
pub mod printer;
pub mod report;
mod report_cash;
pub mod text;

use crate::lang::Lang;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The shop as printed at the top of every receipt. Config: `[shop]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShopInfo {
    /// Shop or company name (`name = "Bakeri Øst AS"`).
    pub name: String,
    /// Address lines (`address = ["Storgata 1", "0155 Oslo"]`).
    pub address: Vec<String>,
    /// Organisation number as registered (`org_number = "987654321"`); printed `Org.nr. 987 654 321 MVA`.
    pub org_number: String,
    /// Registered for VAT (default): `MVA` follows the org. number (kassasystemforskrifta
    /// § 2-8-4). A shop outside the VAT register prints the org. number alone.
    pub vat_registered: bool,
    /// Optional phone / web line.
    pub contact: Option<String>,
}

impl Default for ShopInfo {
    fn default() -> ShopInfo {
        ShopInfo {
            name: String::new(),
            address: Vec::new(),
            org_number: String::new(),
            vat_registered: true,
            contact: None,
        }
    }
}

/// Paper width in characters of the default font (font A).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum PaperWidth {
    /// 80 mm paper: 48 columns.
    #[default]
    #[serde(rename = "80mm")]
    Mm80,
    /// 58 mm paper: 32 columns.
    #[serde(rename = "58mm")]
    Mm58,
}

impl PaperWidth {
    /// Characters per line.
    pub const fn columns(self) -> usize {
        match self {
            PaperWidth::Mm80 => 48,
            PaperWidth::Mm58 => 32,
        }
    }
}

/// Printer character code page for Norwegian text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CodePage {
    /// PC865 Nordic (ESC t 5): æøå ÆØÅ; no euro sign (printed as `EUR`).
    #[default]
    Pc865,
    /// Windows-1252 (ESC t 16): all of Latin-1 plus `€`.
    Wpc1252,
}

/// What machine-readable code of the receipt number goes on paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaperCode {
    /// QR code (GS ( k, model 2).
    #[default]
    Qr,
    /// CODE 128 barcode (GS k 73, code set B).
    Code128,
    None,
}

/// Printer connection. Config: `[receipt.printer]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum PrinterConfig {
    /// No printer: receipts are shown as text only.
    #[default]
    None,
    /// Network printer (raw TCP, usually port 9100): `kind = "network", address = "192.168.1.50:9100"`.
    Network {
        address: String,
        /// Connect / write timeout in milliseconds (default 3000).
        #[serde(default = "default_timeout_ms")]
        timeout_ms: u64,
    },
    /// A printer device file: `kind = "device", path = "/dev/usb/lp0"`.
    Device { path: PathBuf },
    /// A plain file the bytes are appended to (for tests and spooling): `kind = "file", path = "…"`.
    File { path: PathBuf },
}

fn default_timeout_ms() -> u64 {
    3000
}

/// Receipt settings. Config: `[receipt]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReceiptSettings {
    /// `"80mm"` (48 columns, default) or `"58mm"` (32 columns).
    pub paper_width: PaperWidth,
    /// `"pc865"` (default) or `"wpc1252"`.
    pub code_page: CodePage,
    /// `"qr"` (default), `"code128"` or `"none"`.
    pub paper_code: PaperCode,
    /// Language of the printed labels (`"nb"` default, `"en"`).
    pub lang: Lang,
    /// Kick the cash drawer when cash is part of the tender (default true).
    pub drawer_kick: bool,
    /// Lines printed at the bottom (`footer = ["Takk for handelen!"]`).
    pub footer: Vec<String>,
    /// Put a CODE 128 barcode of the receipt number on the Vipps app receipt (default true).
    pub app_barcode: bool,
    /// Order Management category: `"RECEIPT"` (default), `"GENERAL"`, `"ORDER_CONFIRMATION"`,
    /// `"DELIVERY"`, `"TICKET"` or `"BOOKING"`.
    pub category: String,
    /// `orderDetailsUrl` of the category (https://…); no category is set without it.
    pub order_details_url: Option<String>,
    /// Logo for the Vipps app (PNG/JPEG, ≥167 px high, ≤2 MB). Default `assets/logo.png`.
    pub logo: Option<PathBuf>,
    pub printer: PrinterConfig,
}

impl Default for ReceiptSettings {
    fn default() -> Self {
        ReceiptSettings {
            paper_width: PaperWidth::default(),
            code_page: CodePage::default(),
            paper_code: PaperCode::default(),
            lang: Lang::Nb,
            drawer_kick: true,
            footer: Vec::new(),
            app_barcode: true,
            category: "RECEIPT".to_owned(),
            order_details_url: None,
            logo: None,
            printer: PrinterConfig::None,
        }
    }
}

impl ReceiptSettings {
    /// The logo file: `receipt.logo`, else `assets/logo.png`.
    pub fn logo_path(&self) -> PathBuf {
        self.logo
            .clone()
            .unwrap_or_else(|| PathBuf::from("assets/logo.png"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_parses_from_toml() {
        let c: ReceiptSettings = toml::from_str(
            r#"
            paper_width = "58mm"
            code_page = "wpc1252"
            paper_code = "code128"
            lang = "en"
            drawer_kick = false
            footer = ["Takk!"]
            app_barcode = false
            category = "GENERAL"
            order_details_url = "https://shop.example/r"
            logo = "assets/logo.png"
            [printer]
            kind = "network"
            address = "192.168.1.50:9100"
            "#,
        )
        .unwrap();
        assert_eq!(c.paper_width.columns(), 32);
        assert_eq!(c.code_page, CodePage::Wpc1252);
        assert_eq!(c.paper_code, PaperCode::Code128);
        assert!(!c.drawer_kick);
        assert_eq!(
            c.printer,
            PrinterConfig::Network {
                address: "192.168.1.50:9100".into(),
                timeout_ms: 3000
            }
        );
        let d: ReceiptSettings = toml::from_str("").unwrap();
        assert_eq!(d, ReceiptSettings::default());
        assert_eq!(d.paper_width.columns(), 48);
        let s: ShopInfo =
            toml::from_str("name = \"Bakeri\"\naddress = [\"Gate 1\"]\norg_number = \"987654321\"")
                .unwrap();
        assert_eq!(s.org_number, "987654321");
        assert!(toml::from_str::<ReceiptSettings>("paper = 1").is_err());
        let dev: PrinterConfig =
            toml::from_str("kind = \"device\"\npath = \"/dev/usb/lp0\"").unwrap();
        assert_eq!(
            dev,
            PrinterConfig::Device {
                path: "/dev/usb/lp0".into()
            }
        );
    }

    #[test]
    fn settings_from_app_config() {
        let c = crate::config::Config::from_toml_str(
            "[shop]\nname = \"Bakeri\"\n[receipt]\ncategory = \"TICKET\"\norder_details_url = \"https://x.example/r\"\nbarcode = false\n",
            &|_| None,
        )
        .unwrap();
        let s = &c.receipt_settings();
        assert_eq!(s.category, "TICKET");
        assert!(!s.app_barcode);
        assert_eq!(s.order_details_url.as_deref(), Some("https://x.example/r"));
        assert_eq!(s.logo_path(), PathBuf::from("assets/logo.png"));
        assert_eq!(&c.shop_info().name, "Bakeri");
        assert_eq!(s.paper_width, PaperWidth::Mm80);
        assert_eq!(s.printer, PrinterConfig::None);
        let c = crate::config::Config::from_toml_str(
            "[shop]\nname = \"Bakeri\"\naddress = [\"Gate 1\", \"0155 Oslo\"]\norg_number = \"987 654 321\"\ncontact = \"22 33 44 55\"\n[receipt]\npaper_width = \"58mm\"\ncode_page = \"wpc1252\"\npaper_code = \"code128\"\ndrawer_kick = false\nfooter = [\"Takk!\"]\n[receipt.printer]\nkind = \"network\"\naddress = \"192.168.1.50:9100\"\ntimeout_ms = 1500\n",
            &|_| None,
        )
        .unwrap();
        let s = &c.receipt_settings();
        assert_eq!(s.paper_width, PaperWidth::Mm58);
        assert_eq!(s.code_page, CodePage::Wpc1252);
        assert_eq!(s.paper_code, PaperCode::Code128);
        assert!(!s.drawer_kick);
        assert_eq!(s.footer, vec!["Takk!".to_owned()]);
        assert_eq!(
            s.printer,
            PrinterConfig::Network {
                address: "192.168.1.50:9100".into(),
                timeout_ms: 1500
            }
        );
        let shop = &c.shop_info();
        assert_eq!(
            shop.address,
            vec!["Gate 1".to_owned(), "0155 Oslo".to_owned()]
        );
        assert_eq!(shop.org_number, "987654321");
        assert_eq!(shop.contact.as_deref(), Some("22 33 44 55"));
    }
}
