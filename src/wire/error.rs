//! Error bodies of every Vipps API (the simulator produces these; the clients parse them).

use crate::wire::{NumOrString, wire_enum};
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// Wire error bodies (the simulator produces these; the clients parse them).
// ---------------------------------------------------------------------------------------------

/// `{name, reason}` in ePayment `extraDetails` (domain code: `name = "ErrorCode"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraDetail {
    pub name: String,
    pub reason: String,
}

/// ePayment RFC 7807 `application/problem+json` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EpaymentProblem {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default)]
    pub status: u16,
    #[serde(default)]
    pub trace_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_details: Option<Vec<ExtraDetail>>,
}

impl EpaymentProblem {
    /// A problem with the domain code in `extraDetails[{name:"ErrorCode"}]`.
    pub fn with_code(status: u16, code: u32, title: &str, trace_id: &str) -> EpaymentProblem {
        EpaymentProblem {
            kind: format!(
                "https://developer.vippsmobilepay.com/docs/APIs/epayment-api/errors#{code}"
            ),
            title: title.to_owned(),
            detail: Some(title.to_owned()),
            status,
            trace_id: trace_id.to_owned(),
            instance: None,
            extra_details: Some(vec![ExtraDetail {
                name: "ErrorCode".to_owned(),
                reason: code.to_string(),
            }]),
        }
    }

    /// The numeric domain code from `extraDetails`, if any.
    pub fn error_code(&self) -> Option<String> {
        self.extra_details.as_ref().and_then(|d| {
            d.iter()
                .find(|x| x.name.eq_ignore_ascii_case("ErrorCode"))
                .map(|x| x.reason.clone())
        })
    }
}

wire_enum! {
    /// eCom `errorGroup`.
    pub enum EcomErrorGroup {
        Authentication = "Authentication",
        Payment = "Payment",
        InvalidRequest = "InvalidRequest",
        VippsError = "VippsError",
        User = "User",
        Merchant = "Merchant",
    }
}

/// One element of the eCom error array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EcomError {
    pub error_group: EcomErrorGroup,
    #[serde(deserialize_with = "crate::wire::string_or_number")]
    pub error_code: String,
    #[serde(default)]
    pub error_message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_id: Option<String>,
}

impl EcomError {
    /// One eCom error (the API answers with an array of these).
    pub fn new(
        group: EcomErrorGroup,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> EcomError {
        EcomError {
            error_group: group,
            error_code: code.into(),
            error_message: message.into(),
            context_id: None,
        }
    }
}

/// Azure gateway `{responseInfo:{responseCode,responseMessage}, result:{message}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureResponseInfo {
    pub response_code: NumOrString,
    #[serde(default)]
    pub response_message: String,
}

/// `result` of an Azure gateway error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AzureResult {
    #[serde(default)]
    pub message: String,
}

/// Azure gateway error `{responseInfo, result}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureError {
    pub response_info: AzureResponseInfo,
    #[serde(default)]
    pub result: AzureResult,
}

/// Gateway error `{statusCode, message}` (APIM: 401, 403, 429 …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayStatusError {
    pub status_code: u16,
    #[serde(default)]
    pub message: String,
}

/// `{name, reason}` in Order Management `invalidParams`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidParam {
    pub name: String,
    pub reason: String,
}

/// Order Management `ErrorResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OmProblem {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_params: Option<Vec<InvalidParam>>,
}

/// One element of the PSP `ErrorDetails` array.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PspErrorDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// ApiError
// ---------------------------------------------------------------------------------------------
