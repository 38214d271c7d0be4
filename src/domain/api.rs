//! Which Vipps API carries a payment (shared by the engine, the store and the staff flows).

use serde::{Deserialize, Serialize};

/// Which Vipps API carries a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ApiKind {
    #[default]
    Epayment,
    Ecom,
    Psp,
}

impl ApiKind {
    pub const fn code(self) -> &'static str {
        match self {
            ApiKind::Epayment => "epayment",
            ApiKind::Ecom => "ecom",
            ApiKind::Psp => "psp",
        }
    }

    /// The domain's view of the API (amount limits and currencies).
    pub const fn vipps_api(self) -> crate::domain::money::VippsApi {
        match self {
            ApiKind::Epayment => crate::domain::money::VippsApi::Epayment,
            ApiKind::Ecom => crate::domain::money::VippsApi::Ecom,
            ApiKind::Psp => crate::domain::money::VippsApi::Psp,
        }
    }

    /// Parse `epayment|ecom|psp` (CLI, config).
    pub fn parse(s: &str) -> Option<ApiKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "epayment" => Some(ApiKind::Epayment),
            "ecom" => Some(ApiKind::Ecom),
            "psp" => Some(ApiKind::Psp),
            _ => None,
        }
    }
}
