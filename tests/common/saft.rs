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
