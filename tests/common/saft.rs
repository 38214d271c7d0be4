//! Checking a SAF-T export against Skatteetaten's XSD with xmllint.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether this runs under CI (a missing tool or file is then a failure, never a skip).
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Skatteetaten's SAF-T Cash Register XSD from `KASSE_COMPLIANCE_DIR`, `KASSE_SHARED_DIR` or
/// `../shared` beside the checkout; None (a failure under CI) when it is not there.
pub fn xsd() -> Option<PathBuf> {
    let dir = std::env::var_os("KASSE_COMPLIANCE_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("KASSE_SHARED_DIR")
                .filter(|d| !d.is_empty())
                .map(|d| PathBuf::from(d).join("compliance"))
        })
        .or_else(|| {
            let root = Path::new(env!("CARGO_MANIFEST_DIR"));
            ["../shared/compliance", "../../shared/compliance"]
                .iter()
                .map(|rel| root.join(rel))
                .find(|p| p.join("saft-cash-register").is_dir())
        });
    let found = dir
        .map(|d| d.join("saft-cash-register/Norwegian_SAF-T_Cash_Register_Schema_v_1.00.xsd"))
        .filter(|p| p.is_file());
    if found.is_none() {
        assert!(!ci(), "SAF-T XSD not found (set KASSE_COMPLIANCE_DIR)");
        eprintln!("\n!!!!!!!! SKIPPED: SAF-T XSD not found (set KASSE_COMPLIANCE_DIR) !!!!!!!!\n");
    }
    found
}

/// `xmllint --noout --schema`: Ok, Err(complaint), or None when xmllint is missing (a failure
/// under CI).
pub fn xmllint(xsd: &Path, file: &Path) -> Option<Result<(), String>> {
    let out = match Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(xsd)
        .arg(file)
        .output()
    {
        Ok(o) => o,
        Err(_) => {
            assert!(
                !ci(),
                "xmllint not installed (apt-get install libxml2-utils)"
            );
            eprintln!("\n!!!!!!!! SKIPPED: xmllint not installed !!!!!!!!\n");
            return None;
        }
    };
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

fn minor(s: &str) -> i64 {
    let neg = s.starts_with('-');
    let (whole, frac) = s.trim_start_matches('-').split_once('.').unwrap();
    assert_eq!(frac.len(), 2, "{s}");
    let v = whole.parse::<i64>().unwrap() * 100 + frac.parse::<i64>().unwrap();
    if neg { -v } else { v }
}

/// The signed fields of every `<cashtransaction>` in `xml` (a file or a part of one), read
/// back from the XML in file order.
pub fn chain_from_xml(xml: &str) -> Vec<kasse::fiscal::signature::ChainRecord> {
    use quick_xml::events::Event as XmlEvent;
    const FIELDS: [&str; 7] = [
        "nr",
        "transDate",
        "transTime",
        "transAmntIn",
        "transAmntEx",
        "signature",
        "keyVersion",
    ];
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let mut cur: Option<[String; 7]> = None;
    loop {
        match reader.read_event().unwrap() {
            XmlEvent::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                if name == "cashtransaction" {
                    cur = Some(Default::default());
                }
                stack.push(name);
            }
            XmlEvent::Text(t) => {
                let direct = stack.len() >= 2 && stack[stack.len() - 2] == "cashtransaction";
                let slot = stack
                    .last()
                    .and_then(|n| FIELDS.iter().position(|f| f == n));
                if let (Some(f), true, Some(i)) = (cur.as_mut(), direct, slot) {
                    f[i] = t.xml10_content().into_owned();
                }
            }
            XmlEvent::End(_) if stack.pop().as_deref() == Some("cashtransaction") => {
                let f = cur.take().unwrap();
                let d = time::macros::format_description!("[year]-[month]-[day]");
                let t = time::macros::format_description!("[hour]:[minute]:[second]");
                out.push(kasse::fiscal::signature::ChainRecord {
                    nr: f[0].clone(),
                    date: time::Date::parse(&f[1], d).unwrap(),
                    time: time::Time::parse(&f[2], t).unwrap(),
                    amount_in: minor(&f[3]),
                    amount_ex: minor(&f[4]),
                    signature: f[5].clone(),
                    key_version: f[6].clone(),
                });
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    out
}
