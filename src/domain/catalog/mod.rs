//! The till's product catalogue as plain data with its indexes (pure: no IO; loading TOML/CSV
//! files lives in `app::catalog`).
//!
//! - Codes: every PLU and EAN maps to its article in a hash map (O(1) per scan).
//! - Names: [`index`] — accent- and case-insensitive prefix-of-word search, ranked and bounded.
//! - In-store EAN-13 codes with an embedded price or weight (prefixes 20–25): [`ean`].
//!
//! A [`Catalog`] is cheap to clone (the data sits behind an `Arc`), so the UI state can hold it.

pub mod ean;
pub mod index;

use crate::domain::basket::{Quantity, QuantityUnit};
use crate::domain::money::{Currency, Money};
use crate::lang::Text;
use ean::{EanError, Embedded};
use std::collections::HashMap;
use std::sync::Arc;

pub use index::{SEARCH_LIMIT, fold};

/// VAT rates Norway uses, in hundredths of a percent.
pub const ALLOWED_VAT_BPS: [u32; 4] = [2500, 1500, 1200, 0];

/// One product as the till sells it. `price` includes VAT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// Price look-up code (typed by the cashier).
    pub plu: String,
    /// EAN-8/EAN-13 barcode (scanned), if any.
    pub ean: Option<String>,
    pub name: String,
    pub price: Money,
    /// VAT in hundredths of a percent (2500 = 25 %).
    pub vat_bps: u32,
    /// Sold per piece (default) or by weight/volume (`price` is then per unit, e.g. per kg).
    pub unit: QuantityUnit,
    /// Main (article) group: a code of Skatteetaten's list PredefinedBasicID-04, e.g. "04006"
    /// (food); [`crate::domain::report::NO_GROUP`] ("04999 Other") when the catalogue names none.
    pub group: String,
}

impl Product {
    /// The domain product the basket takes (id = EAN if any, else PLU).
    pub fn to_domain(&self) -> Result<crate::domain::basket::Product, Text> {
        let vat = crate::domain::vat::VatRate::new(self.vat_bps).map_err(|e| e.text())?;
        Ok(crate::domain::basket::Product {
            id: self.ean.clone().unwrap_or_else(|| self.plu.clone()),
            name: self.name.clone(),
            price: self.price,
            vat,
            unit: self.unit,
        })
    }
}

/// Why a catalogue could not be loaded or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read catalog file \"{path}\": {reason}")]
    Read { path: String, reason: String },
    #[error("catalog file \"{path}\" must end in .toml or .csv")]
    UnknownFormat { path: String },
    #[error("catalog TOML is not valid: {0}")]
    Toml(String),
    #[error("catalog {place}, field \"{field}\": {}", .problem.en)]
    Field {
        /// "line 4" (CSV) or "product 3 (\"Kaffe\")" (TOML).
        place: String,
        field: &'static str,
        /// What is wrong and what to write instead, in both languages.
        problem: Text,
    },
    #[error(
        "catalog CSV header \"{header}\" is missing column \"{column}\". Write a header like: plu;ean;name;price;vat"
    )]
    MissingColumn {
        header: String,
        column: &'static str,
    },
    #[error(
        "catalog {place}: code \"{code}\" is already used by \"{other}\". Every PLU and EAN must be unique"
    )]
    DuplicateCode {
        place: String,
        code: String,
        other: String,
    },
    #[error("catalog is empty: add at least one product")]
    Empty,
}

/// A place in a catalogue ("line 4", "product 3 (\"Kaffe\")", …) in Norwegian.
fn place_nb(place: &str) -> String {
    const WORDS: [(&str, &str); 5] = [
        ("line ", "linje "),
        ("product ", "vare "),
        ("row with PLU ", "raden med PLU "),
        ("catalogue article PLU ", "lagret vare med PLU "),
        ("header", "toppen av filen"),
    ];
    for (en, nb) in WORDS {
        if let Some(rest) = place.strip_prefix(en) {
            return format!("{nb}{rest}");
        }
    }
    place.to_string()
}

impl CatalogError {
    /// The message in the cashier's language (Norwegian and English).
    pub fn text(&self) -> Text {
        let en = self.to_string();
        let nb = match self {
            CatalogError::Read { path, reason } => {
                format!("kan ikke lese varekatalogen «{path}»: {reason}")
            }
            CatalogError::UnknownFormat { path } => {
                format!("varekatalogen «{path}» må slutte på .toml eller .csv")
            }
            CatalogError::Toml(e) => format!("varekatalogen er ikke gyldig TOML: {e}"),
            CatalogError::Field {
                place,
                field,
                problem,
            } => format!(
                "varekatalogen, {}, kolonne/felt «{field}»: {}",
                place_nb(place),
                problem.nb
            ),
            CatalogError::MissingColumn { header, column } => format!(
                "toppraden «{header}» i varekatalogen mangler kolonnen «{column}». Skriv f.eks.: plu;ean;name;price;vat"
            ),
            CatalogError::DuplicateCode { place, code, other } => format!(
                "varekatalogen, {}: koden «{code}» brukes allerede av «{other}». Hver PLU og EAN må være unik",
                place_nb(place)
            ),
            CatalogError::Empty => "varekatalogen er tom: legg inn minst én vare".to_string(),
        };
        Text::new(nb, en)
    }
}

#[derive(Default)]
struct Inner {
    currency: Option<Currency>,
    products: Vec<Product>,
    /// PLU and EAN → index into `products`.
    codes: HashMap<String, u32>,
    names: index::SearchIndex,
}

/// All products, found by code in O(1) and by name through the search index.
#[derive(Clone, Default)]
pub struct Catalog {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("currency", &self.inner.currency)
            .field("products", &self.inner.products.len())
            .finish()
    }
}

impl PartialEq for Catalog {
    fn eq(&self, other: &Self) -> bool {
        self.inner.currency == other.inner.currency && self.inner.products == other.inner.products
    }
}

impl Eq for Catalog {}

/// A scanned code resolved to an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanHit<'a> {
    /// Index into [`Catalog::products`].
    pub index: usize,
    pub product: &'a Product,
    /// The price or weight printed into an in-store label, if the code was one.
    pub embedded: Option<Embedded>,
}

impl ScanHit<'_> {
    /// For an in-store label: the basket product and quantity of `count` such labels (a price
    /// label is `count` pieces at the label's price; a weight label is `count` × the weight
    /// of a per-kg article). `None` for an ordinary code.
    pub fn embedded_line(
        &self,
        code: &str,
        count: u32,
    ) -> Option<Result<(crate::domain::basket::Product, Quantity), Text>> {
        let embedded = self.embedded?;
        Some((|| {
            let mut product = self.product.to_domain()?;
            match embedded {
                Embedded::Price(minor) => {
                    product.price = Money::new(minor, self.product.price.currency());
                    product.unit = QuantityUnit::Pcs;
                    let q = Quantity::pieces(count).map_err(|e| e.text())?;
                    Ok((product, q))
                }
                Embedded::Weight(grams) => {
                    if self.product.unit != QuantityUnit::Kg {
                        return Err(EanError::WeightForPieceArticle {
                            code: code.to_string(),
                            name: self.product.name.clone(),
                        }
                        .text());
                    }
                    // Grams are thousandths of a kg: the basket's milli-units.
                    let milli = grams.saturating_mul(i64::from(count));
                    let q = Quantity::new(milli, QuantityUnit::Kg).map_err(|e| e.text())?;
                    Ok((product, q))
                }
            }
        })())
    }
}

impl Catalog {
    /// Build the catalogue and its indexes from `(place, product)` rows (`place` names the
    /// row in errors, e.g. "line 4"). Every PLU and EAN must be unique across all products.
    pub fn build(
        currency: Currency,
        rows: impl IntoIterator<Item = (String, Product)>,
    ) -> Result<Catalog, CatalogError> {
        let rows = rows.into_iter();
        let mut products: Vec<Product> = Vec::with_capacity(rows.size_hint().0);
        let mut codes: HashMap<String, u32> = HashMap::with_capacity(rows.size_hint().0 * 2);
        for (place, p) in rows {
            let id = u32::try_from(products.len()).map_err(|_| CatalogError::Field {
                place: place.clone(),
                field: "plu",
                problem: Text::new("for mange varer", "too many products"),
            })?;
            for code in std::iter::once(p.plu.as_str()).chain(p.ean.as_deref()) {
                match codes.get(code) {
                    Some(other) if *other != id => {
                        let other = products
                            .get(*other as usize)
                            .map(|o| o.name.clone())
                            .unwrap_or_default();
                        return Err(CatalogError::DuplicateCode {
                            place,
                            code: code.to_string(),
                            other,
                        });
                    }
                    Some(_) => {}
                    None => {
                        codes.insert(code.to_string(), id);
                    }
                }
            }
            products.push(p);
        }
        if products.is_empty() {
            return Err(CatalogError::Empty);
        }
        let names = index::SearchIndex::build(products.iter().map(|p| p.name.as_str()));
        Ok(Catalog {
            inner: Arc::new(Inner {
                currency: Some(currency),
                products,
                codes,
                names,
            }),
        })
    }

    /// [`Catalog::build`] with places "product 1", "product 2", ….
    pub fn new(currency: Currency, products: Vec<Product>) -> Result<Catalog, CatalogError> {
        Catalog::build(
            currency,
            products
                .into_iter()
                .enumerate()
                .map(|(i, p)| (format!("product {}", i + 1), p)),
        )
    }

    pub fn currency(&self) -> Option<Currency> {
        self.inner.currency
    }

    /// All products, in catalogue order.
    pub fn products(&self) -> &[Product] {
        &self.inner.products
    }

    pub fn get(&self, index: usize) -> Option<&Product> {
        self.inner.products.get(index)
    }

    pub fn len(&self) -> usize {
        self.inner.products.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.products.is_empty()
    }

    /// The index of the product with this exact PLU or EAN.
    pub fn index_of_code(&self, code: &str) -> Option<usize> {
        self.inner.codes.get(code.trim()).map(|i| *i as usize)
    }

    /// Look up a scanned/typed code (exact PLU or EAN).
    pub fn by_code(&self, code: &str) -> Option<&Product> {
        self.index_of_code(code).and_then(|i| self.get(i))
    }

    /// Resolve a scanned or typed code: an exact PLU/EAN first; else a 13-digit code must have
    /// a valid check digit, and an in-store code with an embedded price or weight (prefixes
    /// 20–25, [`ean`]) finds its article by the code with the value zeroed. `Ok(None)`: no
    /// such article.
    pub fn scan(&self, code: &str) -> Result<Option<ScanHit<'_>>, EanError> {
        let code = code.trim();
        let hit = |index: usize, embedded| {
            self.get(index).map(|product| ScanHit {
                index,
                product,
                embedded,
            })
        };
        if let Some(i) = self.index_of_code(code) {
            return Ok(hit(i, None));
        }
        ean::verify_ean13(code)?;
        match ean::decode_variable_measure(code)? {
            Some(vm) => Ok(self
                .index_of_code(&vm.lookup_code)
                .and_then(|i| hit(i, Some(vm.value)))),
            None => Ok(None),
        }
    }

    /// Indices of the products whose name matches `query`, best first, at most
    /// [`SEARCH_LIMIT`] (matching, folding and ranking: [`index`]).
    pub fn search_indices(&self, query: &str) -> Vec<usize> {
        self.inner.names.search(query)
    }

    /// The products [`Catalog::search_indices`] finds.
    pub fn search(&self, query: &str) -> Vec<&Product> {
        self.search_indices(query)
            .into_iter()
            .filter_map(|i| self.get(i))
            .collect()
    }
}

/// Parse a cashier-style price including VAT: `24,90`, `24.90`, `1 234,50`, `kr 49`.
pub fn parse_price(s: &str) -> Result<i64, String> {
    let cleaned: String = s
        .trim()
        .trim_start_matches("kr")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let bad =
        || format!("\"{s}\" is not a price. Write kroner with up to two decimals, e.g. \"24,90\"");
    if cleaned.is_empty() {
        return Err(bad());
    }
    let (whole, frac) = match cleaned.split_once([',', '.']) {
        Some((w, f)) => (w, f),
        None => (cleaned.as_str(), ""),
    };
    if whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let kr: i64 = whole.parse().map_err(|_| bad())?;
    let ore: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
        _ => frac.parse().map_err(|_| bad())?,
    };
    kr.checked_mul(100)
        .and_then(|k| k.checked_add(ore))
        .ok_or_else(|| format!("\"{s}\" is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(
        plu: &str,
        ean: Option<&str>,
        name: &str,
        price: i64,
        unit: QuantityUnit,
    ) -> Product {
        Product {
            plu: plu.to_string(),
            ean: ean.map(str::to_string),
            name: name.to_string(),
            price: Money::nok(price),
            vat_bps: 1500,
            unit,
            group: crate::domain::report::NO_GROUP.to_string(),
        }
    }

    fn shop() -> Catalog {
        let kg = QuantityUnit::Kg;
        Catalog::new(
            Currency::Nok,
            vec![
                product(
                    "1",
                    Some("7038010001000"),
                    "Kvikk Lunsj",
                    2490,
                    QuantityUnit::Pcs,
                ),
                product("2", Some("2300045600004"), "Kjøttdeig, løsvekt", 19990, kg),
                product("3", Some("2000123400006"), "Ost, prismerket", 15990, kg),
                product("4", Some("2100077700006"), "Kake", 9900, QuantityUnit::Pcs),
                product("5", Some("2700000000007"), "Pose", 200, QuantityUnit::Pcs),
            ],
        )
        .unwrap()
    }

    #[test]
    fn codes_are_unique_and_found_in_one_lookup() {
        let c = shop();
        assert_eq!(c.by_code(" 7038010001000 ").unwrap().name, "Kvikk Lunsj");
        assert_eq!(c.by_code("2").unwrap().name, "Kjøttdeig, løsvekt");
        assert!(c.by_code("9").is_none());
        let dup = Catalog::new(
            Currency::Nok,
            vec![
                product("1", Some("7038010001000"), "A", 1, QuantityUnit::Pcs),
                product("7038010001000", None, "B", 1, QuantityUnit::Pcs),
            ],
        )
        .unwrap_err();
        assert_eq!(
            dup.to_string(),
            "catalog product 2: code \"7038010001000\" is already used by \"A\". Every PLU and EAN must be unique"
        );
        // A product may use the same digits as PLU and EAN.
        assert!(
            Catalog::new(
                Currency::Nok,
                vec![product(
                    "12345670",
                    Some("12345670"),
                    "A",
                    1,
                    QuantityUnit::Pcs
                )]
            )
            .is_ok()
        );
        assert_eq!(
            Catalog::new(Currency::Nok, Vec::new()),
            Err(CatalogError::Empty)
        );
    }

    #[test]
    fn weight_label_sells_the_weight_at_the_kilo_price() {
        let c = shop();
        let code = ean::encode_variable_measure("23000456", 455).unwrap();
        let hit = c.scan(&code).unwrap().unwrap();
        assert_eq!(hit.product.name, "Kjøttdeig, løsvekt");
        assert_eq!(hit.embedded, Some(Embedded::Weight(455)));
        let (p, q) = hit.embedded_line(&code, 1).unwrap().unwrap();
        assert_eq!((q.milli(), q.unit()), (455, QuantityUnit::Kg));
        let line = crate::domain::basket::OrderLine::from_product(&p, q).unwrap();
        // 0,455 kg × 199,90 kr/kg = 90,9545 kr → 90,95 kr (half up, whole øre).
        assert_eq!(line.amounts().unwrap().gross, Money::nok(9095));
    }

    #[test]
    fn price_label_sells_one_piece_at_the_printed_price() {
        let c = shop();
        let code = ean::encode_variable_measure("20001234", 4990).unwrap();
        let hit = c.scan(&code).unwrap().unwrap();
        assert_eq!(hit.product.name, "Ost, prismerket");
        let (p, q) = hit.embedded_line(&code, 1).unwrap().unwrap();
        assert_eq!(
            (p.price, q),
            (Money::nok(4990), Quantity::pieces(1).unwrap())
        );
        let whole_kr = ean::encode_variable_measure("21000777", 1234).unwrap();
        let hit = c.scan(&whole_kr).unwrap().unwrap();
        assert_eq!(hit.product.name, "Kake");
        let (p, _) = hit.embedded_line(&whole_kr, 2).unwrap().unwrap();
        assert_eq!(p.price, Money::nok(12340));
    }

    #[test]
    fn scan_errors_and_misses() {
        let c = shop();
        // Exact codes win, also for 2x codes listed one by one; ordinary codes carry nothing.
        let own = c.scan("2700000000007").unwrap().unwrap();
        assert_eq!((own.product.name.as_str(), own.embedded), ("Pose", None));
        assert!(own.embedded_line("2700000000007", 1).is_none());
        // Bad check digit: a clear error, also for ordinary EAN-13s that are not listed.
        let err = c.scan("7038010001001").unwrap_err();
        assert!(
            err.text().en.contains("check digit is 1, it should be 0"),
            "{}",
            err.text().en
        );
        let label = ean::encode_variable_measure("23000456", 455).unwrap();
        let bad = format!("{}{}", &label[..12], (label.as_bytes()[12] - b'0' + 5) % 10);
        assert!(matches!(c.scan(&bad), Err(EanError::BadCheckDigit { .. })));
        // Unknown article in a valid label, unknown PLU: not found.
        let unknown = ean::encode_variable_measure("23999999", 455).unwrap();
        assert_eq!(c.scan(&unknown), Ok(None));
        assert_eq!(c.scan("99"), Ok(None));
        // A weight label for a piece article is refused with the article's name.
        let piece = ean::encode_variable_measure("23700000", 100).unwrap();
        let cat = Catalog::new(
            Currency::Nok,
            vec![product(
                "1",
                Some(&ean::with_check_digit("237000000000").unwrap()),
                "Brus",
                2000,
                QuantityUnit::Pcs,
            )],
        )
        .unwrap();
        let hit = cat.scan(&piece).unwrap().unwrap();
        let err = hit.embedded_line(&piece, 1).unwrap().unwrap_err();
        assert!(err.en.contains("\"Brus\" is sold per piece"), "{}", err.en);
    }

    #[test]
    fn search_through_the_catalog() {
        let c = shop();
        let hits: Vec<&str> = c
            .search("kjottdeig")
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(hits, vec!["Kjøttdeig, løsvekt"]);
        assert_eq!(c.search("LØSV").len(), 1);
        assert!(c.search("").is_empty());
        let clone = c.clone();
        assert_eq!(clone, c);
        assert_eq!(
            format!("{c:?}"),
            "Catalog { currency: Some(Nok), products: 5 }"
        );
    }

    #[test]
    fn prices_parse_like_a_cashier_types_them() {
        assert_eq!(parse_price("24,90"), Ok(2490));
        assert_eq!(parse_price("24.9"), Ok(2490));
        assert_eq!(parse_price("1 234,50"), Ok(123450));
        assert_eq!(parse_price("kr 49"), Ok(4900));
        assert!(parse_price("24,999").unwrap_err().contains("\"24,999\""));
        assert!(parse_price("-5").is_err());
        assert!(parse_price("").is_err());
    }
}
