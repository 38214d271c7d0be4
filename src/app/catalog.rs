//! Loading the product catalogue: TOML (`assets/catalog.toml` format) or CSV files, with errors
//! that name the line or product and the field, and say what to write instead. The result is
//! the pure [`Catalog`] (with its code and name indexes) the till's screen takes as plain data.
//!
//! CSV: a header line naming the columns `plu`, `ean`, `name`, `price`, `vat`, `unit`, `group`
//! (any order; `ean`, `unit` and `group` optional, and `plu` too when every row has an EAN; the
//! Norwegian names `varenr`, `strekkode`, `navn`, `pris`, `mva`, `enhet`, `varegruppe` and
//! `barcode` for `ean` work as well), separated by `;` or `,` (the header decides). Use `;`
//! when prices are written with a decimal comma (as Norwegian Excel does), or quote the field.
//! A file that is not UTF-8 is read as Windows-1252 (Excel's "CSV (semikolonseparert)").
//!
//! `group` is the article's main group, a code of Skatteetaten's list PredefinedBasicID-04
//! (`04006` food, `04003` sale of goods …; Excel's `4006` and the short `6` work too); none
//! means `04999` (other).

use crate::domain::basket::QuantityUnit;
pub use crate::domain::catalog::{ALLOWED_VAT_BPS, Catalog, CatalogError, Product, parse_price};
use crate::domain::money::{Currency, Money};
use crate::lang::Text;
use serde::Deserialize;
use std::path::Path;

/// The embedded demo catalog.
pub const DEMO_CATALOG: &str = include_str!("../../assets/catalog.toml");

impl Catalog {
    /// The embedded demo catalog.
    pub fn demo() -> Result<Catalog, CatalogError> {
        parse_toml(DEMO_CATALOG)
    }
}

/// Text of a catalogue file: UTF-8 (a byte-order mark is dropped), else Windows-1252, the
/// encoding Norwegian Excel writes CSV in.
pub fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.trim_start_matches('\u{feff}').to_string(),
        Err(_) => bytes.iter().map(|b| cp1252(*b)).collect(),
    }
}

fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// Load a catalog from a `.toml` or `.csv` file.
pub fn load(path: &Path) -> Result<Catalog, CatalogError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| CatalogError::Read {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    let text = decode(&bytes);
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("toml") => parse_toml(&text),
        Some("csv") => parse_csv(&text),
        _ => Err(CatalogError::UnknownFormat { path: shown }),
    }
}

fn parse_vat(s: &str) -> Result<u32, Text> {
    let t = s.trim().trim_end_matches('%').trim();
    let bps = t
        .parse::<u32>()
        .ok()
        .and_then(|p| p.checked_mul(100))
        .filter(|b| ALLOWED_VAT_BPS.contains(b));
    bps.ok_or_else(|| {
        Text::new(
            format!("«{s}» er ikke en norsk MVA-sats. Bruk 25, 15, 12 eller 0"),
            format!("\"{s}\" is not a Norwegian VAT rate. Use 25, 15, 12 or 0"),
        )
    })
}

/// A price as [`parse_price`] reads it, the problem in both languages.
fn price(s: &str) -> Result<i64, Text> {
    parse_price(s).map_err(|en| {
        Text::new(
            format!("«{s}» er ikke en pris. Skriv kroner med inntil to desimaler, f.eks. «24,90»"),
            en,
        )
    })
}

/// An article group as written in a catalogue: `04006`, `4006` (Excel drops the leading zero)
/// or `6`, checked against Skatteetaten's list PredefinedBasicID-04. Empty: `04999` (other).
pub fn parse_group(s: &str) -> Result<String, Text> {
    use crate::fiscal::saft::codes::{ARTICLE_GROUP_CODES, find};
    let t = s.trim();
    if t.is_empty() {
        return Ok(crate::domain::report::NO_GROUP.to_string());
    }
    let code = t
        .parse::<u32>()
        .ok()
        .filter(|_| t.chars().all(|c| c.is_ascii_digit()))
        .and_then(|n| match n {
            1..=999 => Some(format!("04{n:03}")),
            4001..=4999 => Some(format!("0{n}")),
            _ => None,
        })
        .filter(|c| find(ARTICLE_GROUP_CODES, c).is_some());
    code.ok_or_else(|| {
        Text::new(
            format!(
                "«{s}» er ikke en varegruppe. Skriv en kode fra Skatteetatens liste \
                 PredefinedBasicID-04: 04001–04021 eller 04999, f.eks. 04003 (varesalg), 04006 \
                 (mat), 04011 (mineralvann), eller la feltet stå tomt for 04999 (øvrige)"
            ),
            format!(
                "\"{s}\" is not an article group. Write a code from Skatteetaten's list \
                 PredefinedBasicID-04: 04001–04021 or 04999, e.g. 04003 (sale of goods), 04006 \
                 (food), 04011 (soft drinks), or leave it empty for 04999 (other)"
            ),
        )
    })
}

fn check_code(s: &str, field: &'static str) -> Result<(), Text> {
    let ok = !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let len_ok = field != "ean" || s.len() == 8 || s.len() == 13;
    if ok && len_ok {
        Ok(())
    } else if field == "ean" {
        Err(Text::new(
            format!("«{s}» er ikke en EAN. Skriv 8 eller 13 siffer, eller la feltet stå tomt"),
            format!("\"{s}\" is not an EAN. Write 8 or 13 digits, or leave it out"),
        ))
    } else {
        Err(Text::new(
            format!("«{s}» er ikke en PLU. Skriv bare siffer, f.eks. «1001»"),
            format!("\"{s}\" is not a PLU. Write digits only, e.g. \"1001\""),
        ))
    }
}

struct RawRow<'a> {
    place: String,
    plu: &'a str,
    ean: Option<&'a str>,
    name: &'a str,
    price: &'a str,
    vat: &'a str,
    unit: Option<&'a str>,
    group: Option<&'a str>,
}

fn build(rows: Vec<RawRow<'_>>, currency: Currency) -> Result<Catalog, CatalogError> {
    let mut products: Vec<(String, Product)> = Vec::with_capacity(rows.len());
    for r in rows {
        let field = |field: &'static str, problem: Text| CatalogError::Field {
            place: r.place.clone(),
            field,
            problem,
        };
        check_code(r.plu.trim(), "plu").map_err(|p| field("plu", p))?;
        let ean = match r.ean.map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => {
                check_code(e, "ean").map_err(|p| field("ean", p))?;
                Some(e.to_string())
            }
            None => None,
        };
        let name = r.name.trim();
        if name.is_empty() {
            return Err(field(
                "name",
                Text::new(
                    "er tom. Skriv varens navn",
                    "is empty. Write the product name",
                ),
            ));
        }
        let price = price(r.price).map_err(|p| field("price", p))?;
        let vat_bps = parse_vat(r.vat).map_err(|p| field("vat", p))?;
        let unit = match r.unit.map(str::trim).filter(|u| !u.is_empty()) {
            None => QuantityUnit::Pcs,
            Some(u) => QuantityUnit::parse(u).ok_or_else(|| {
                field(
                    "unit",
                    Text::new(
                        format!("«{u}» er ikke en enhet. Bruk stk, kg, l, km, min eller kwh"),
                        format!("\"{u}\" is not a unit. Use stk, kg, l, km, min or kwh"),
                    ),
                )
            })?,
        };
        let group = parse_group(r.group.unwrap_or("")).map_err(|p| field("group", p))?;
        let p = Product {
            plu: r.plu.trim().to_string(),
            ean,
            name: name.to_string(),
            price: Money::new(price, currency),
            vat_bps,
            unit,
            group,
        };
        products.push((r.place, p));
    }
    Catalog::build(currency, products)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlCatalog {
    currency: Option<String>,
    #[serde(default)]
    product: Vec<TomlProduct>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlProduct {
    plu: String,
    ean: Option<String>,
    name: String,
    price: toml::Value,
    vat: toml::Value,
    unit: Option<String>,
    /// Article group (PredefinedBasicID-04), a string or a number.
    group: Option<toml::Value>,
}

fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Parse a catalog in TOML.
pub fn parse_toml(text: &str) -> Result<Catalog, CatalogError> {
    let raw: TomlCatalog = toml::from_str(text).map_err(|e| CatalogError::Toml(e.to_string()))?;
    let currency = match raw.currency.as_deref() {
        None => Currency::Nok,
        Some(c) => Currency::parse(c).ok_or_else(|| CatalogError::Field {
            place: "header".to_string(),
            field: "currency",
            problem: Text::new(
                format!("«{c}» støttes ikke. Bruk NOK, DKK eller EUR"),
                format!("\"{c}\" is not supported. Use NOK, DKK or EUR"),
            ),
        })?,
    };
    let texts: Vec<(String, String, Option<String>)> = raw
        .product
        .iter()
        .map(|p| {
            (
                value_text(&p.price),
                value_text(&p.vat),
                p.group.as_ref().map(value_text),
            )
        })
        .collect();
    let rows = raw
        .product
        .iter()
        .zip(texts.iter())
        .enumerate()
        .map(|(i, (p, (price, vat, group)))| RawRow {
            place: format!("product {} (\"{}\")", i + 1, p.name),
            plu: &p.plu,
            ean: p.ean.as_deref(),
            name: &p.name,
            price,
            vat,
            unit: p.unit.as_deref(),
            group: group.as_deref(),
        })
        .collect();
    build(rows, currency)
}

fn get(rec: &[String], i: usize) -> &str {
    rec.get(i).map(String::as_str).unwrap_or("")
}

fn split_csv_line(line: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Parse a catalog in CSV (NOK).
pub fn parse_csv(text: &str) -> Result<Catalog, CatalogError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((_, header)) = lines.next() else {
        return Err(CatalogError::Empty);
    };
    let sep = if header.contains(';') { ';' } else { ',' };
    let cols: Vec<String> = split_csv_line(header, sep)
        .into_iter()
        .map(|c| c.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    // Each column by its English name or a Norwegian / common alias.
    let idx = |name: &'static str| {
        let aliases: &[&str] = match name {
            "plu" => &["plu", "varenr", "varenummer"],
            "ean" => &["ean", "barcode", "strekkode", "gtin"],
            "name" => &["name", "navn", "varenavn"],
            "price" => &["price", "pris"],
            "vat" => &["vat", "mva"],
            "unit" => &["unit", "enhet"],
            "group" => &["group", "varegruppe", "gruppe"],
            _ => &[],
        };
        cols.iter().position(|c| aliases.contains(&c.as_str()))
    };
    let need = |name: &'static str| {
        idx(name).ok_or(CatalogError::MissingColumn {
            header: header.to_string(),
            column: name,
        })
    };
    let (i_name, i_price, i_vat) = (need("name")?, need("price")?, need("vat")?);
    let i_ean = idx("ean");
    // Without a PLU column the EAN is the PLU (a supplier's price file has barcodes only).
    let i_plu = match (idx("plu"), i_ean) {
        (Some(i), _) | (None, Some(i)) => i,
        (None, None) => need("plu")?,
    };
    let i_unit = idx("unit");
    let i_group = idx("group");
    let records: Vec<(usize, Vec<String>)> = lines
        .map(|(n, l)| (n + 1, split_csv_line(l, sep)))
        .collect();
    for (n, rec) in &records {
        if rec.len() != cols.len() {
            return Err(CatalogError::Field {
                place: format!("line {n}"),
                field: "columns",
                problem: Text::new(
                    format!(
                        "har {} felt, men toppraden har {}. Sjekk skilletegnet «{sep}» og sett felt som inneholder det i anførselstegn",
                        rec.len(),
                        cols.len()
                    ),
                    format!(
                        "has {} fields but the header has {}. Check the separator \"{sep}\" and quote fields that contain it",
                        rec.len(),
                        cols.len()
                    ),
                ),
            });
        }
    }
    let rows = records
        .iter()
        .map(|(n, rec)| RawRow {
            place: format!("line {n}"),
            plu: get(rec, i_plu),
            ean: i_ean.map(|i| get(rec, i)),
            name: get(rec, i_name),
            price: get(rec, i_price),
            vat: get(rec, i_vat),
            unit: i_unit.map(|i| get(rec, i)),
            group: i_group.map(|i| get(rec, i)),
        })
        .collect();
    build(rows, Currency::Nok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_catalog_loads_with_every_vat_rate() {
        let c = Catalog::demo().unwrap();
        assert!(c.products().len() >= 15);
        for rate in ALLOWED_VAT_BPS {
            assert!(
                c.products().iter().any(|p| p.vat_bps == rate),
                "no product at {rate}"
            );
        }
        let p = c.by_code("7038010001000").unwrap();
        assert_eq!(p.name, "Kvikk Lunsj 47 g");
        assert_eq!(p.price, Money::nok(2490));
        assert_eq!(
            c.by_code("1002").map(|p| p.name.as_str()),
            Some("Coca-Cola 0,5 l")
        );
        assert!(c.by_code("999").is_none());
    }

    #[test]
    fn demo_eans_have_valid_check_digits() {
        for p in Catalog::demo().unwrap().products().to_vec() {
            let ean = p.ean.unwrap();
            let digits: Vec<u32> = ean.chars().filter_map(|c| c.to_digit(10)).collect();
            let sum: u32 = digits[..12]
                .iter()
                .enumerate()
                .map(|(i, d)| if i % 2 == 1 { d * 3 } else { *d })
                .sum();
            assert_eq!((10 - sum % 10) % 10, digits[12], "{ean}");
        }
    }

    #[test]
    fn units_parse_and_bad_units_are_quoted() {
        let c = Catalog::demo().unwrap();
        assert!(c.products().iter().any(|p| p.unit == QuantityUnit::Kg));
        let csv = "plu;name;price;vat;unit\n1;Epler;39,90;15;kg\n2;Brus;20;15;\n";
        let c = parse_csv(csv).unwrap();
        assert_eq!(c.products()[0].unit, QuantityUnit::Kg);
        assert_eq!(c.products()[1].unit, QuantityUnit::Pcs);
        let err = parse_csv("plu;name;price;vat;unit\n1;Epler;39,90;15;pund\n").unwrap_err();
        assert!(
            err.to_string().contains("\"pund\"") && err.to_string().contains("\"unit\""),
            "{err}"
        );
    }

    #[test]
    fn search_matches_all_words_case_insensitive() {
        let c = Catalog::demo().unwrap();
        let hits: Vec<&str> = c.search("cola").iter().map(|p| p.name.as_str()).collect();
        assert_eq!(hits, vec!["Coca-Cola 0,5 l"]);
        assert_eq!(c.search("0,5 L").len(), 2);
        assert!(c.search("   ").is_empty());
    }

    #[test]
    fn excel_exports_in_windows_1252_are_read() {
        assert_eq!(decode(b"Sm\xf8r \x96 \x80 5"), "Smør – € 5");
        assert_eq!(decode("\u{feff}plu;navn".as_bytes()), "plu;navn");
        let c = parse_csv(&decode(
            b"varenr;navn;pris;mva;varegruppe\r\n7;Gr\xf8nnsaker;1 299,50;15;6\r\n",
        ))
        .unwrap();
        let p = &c.products()[0];
        assert_eq!(
            (p.name.as_str(), p.price.minor(), p.group.as_str()),
            ("Grønnsaker", 129_950, "04006")
        );
    }

    #[test]
    fn toml_group_is_a_string_or_a_number() {
        let t = "[[product]]\nplu = \"1\"\nname = \"A\"\nprice = 1\nvat = 25\ngroup = 4011\n\n[[product]]\nplu = \"2\"\nname = \"B\"\nprice = 1\nvat = 25\n";
        let c = parse_toml(t).unwrap();
        assert_eq!(c.products()[0].group, "04011");
        assert_eq!(c.products()[1].group, "04999");
        let bad = t.replace("4011", "\"mat\"");
        let msg = parse_toml(&bad).unwrap_err().to_string();
        assert!(
            msg.contains("product 1") && msg.contains("\"group\""),
            "{msg}"
        );
        let demo = Catalog::demo().unwrap();
        assert_eq!(demo.by_code("1002").unwrap().group, "04011");
    }

    #[test]
    fn csv_with_semicolons_and_decimal_commas() {
        let csv = "plu;ean;name;price;vat\n1;7038010001000;Kvikk Lunsj;24,90;15\n\n2;;\"Avis; lørdag\";45;0\n";
        let c = parse_csv(csv).unwrap();
        assert_eq!(c.products().len(), 2);
        assert_eq!(c.products()[1].name, "Avis; lørdag");
        assert_eq!(c.products()[1].ean, None);
        assert_eq!(c.products()[1].vat_bps, 0);
    }

    #[test]
    fn csv_errors_name_line_and_field() {
        let err = parse_csv("plu,name,price,vat\n1,Kaffe,35.00,15\n2,Te,abc,15\n").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("line 3") && msg.contains("\"price\"") && msg.contains("\"abc\""),
            "{msg}"
        );
        let err = parse_csv("plu,name,price,vat\n1,Kaffe,35.00,14\n").unwrap_err();
        assert!(err.to_string().contains("\"14\""), "{err}");
        let err = parse_csv("plu,name,vat\n1,Kaffe,15\n").unwrap_err();
        assert!(err.to_string().contains("\"price\""), "{err}");
        let err = parse_csv("plu,name,price,vat\n1,Kaffe,35,15,extra\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn toml_errors_name_product_and_field() {
        let t = "[[product]]\nplu = \"1\"\nname = \"Kaffe\"\nprice = \"35\"\nvat = 15\n\n[[product]]\nplu = \"2\"\nean = \"123\"\nname = \"Te\"\nprice = 30\nvat = 15\n";
        let msg = parse_toml(t).unwrap_err().to_string();
        assert!(
            msg.contains("product 2") && msg.contains("\"ean\"") && msg.contains("\"123\""),
            "{msg}"
        );
        let dup = "[[product]]\nplu = \"1\"\nname = \"A\"\nprice = \"1\"\nvat = 25\n[[product]]\nplu = \"1\"\nname = \"B\"\nprice = \"1\"\nvat = 25\n";
        let msg = parse_toml(dup).unwrap_err().to_string();
        assert!(msg.contains("\"1\"") && msg.contains("\"A\""), "{msg}");
        assert!(matches!(
            parse_toml("currency = \"NOK\"\n"),
            Err(CatalogError::Empty)
        ));
        assert!(
            parse_toml("[[product]]\nplu = 1\n")
                .unwrap_err()
                .to_string()
                .contains("TOML")
        );
    }

    #[test]
    fn load_reads_files_by_extension() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("c.csv");
        std::fs::write(&csv, "plu;name;price;vat\n7;Is;20;15\n").unwrap();
        assert_eq!(load(&csv).unwrap().products()[0].price, Money::nok(2000));
        let toml = dir.path().join("c.toml");
        std::fs::write(&toml, DEMO_CATALOG).unwrap();
        assert!(load(&toml).is_ok());
        let other = dir.path().join("c.json");
        std::fs::write(&other, "{}").unwrap();
        assert!(matches!(
            load(&other),
            Err(CatalogError::UnknownFormat { .. })
        ));
        let missing = dir.path().join("nope.toml");
        assert!(
            load(&missing)
                .unwrap_err()
                .to_string()
                .contains("nope.toml")
        );
    }
}
