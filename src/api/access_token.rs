//! Access Token API: `POST /accesstoken/get`, and a token cache.

use crate::api::wire::WireSecret;
use serde::{Deserialize, Serialize};

/// `AuthorizationTokenResponse`: every value is a string on the wire, even the numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenResponse {
    pub token_type: String,
    pub expires_in: String,
    #[serde(default)]
    pub ext_expires_in: String,
    #[serde(default)]
    pub expires_on: String,
    #[serde(default)]
    pub not_before: String,
    #[serde(default)]
    pub resource: String,
    /// The bearer token (redacted in `Debug`).
    pub access_token: WireSecret,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_string_numbers_and_hides_token() {
        let r: AccessTokenResponse = serde_json::from_str(
            r#"{"token_type":"Bearer","expires_in":"86398","ext_expires_in":"0",
            "expires_on":"1495271273","not_before":"1495184574",
            "resource":"00000002-0000-0000-c000-000000000000","access_token":"eyJ0eXAi.secret"}"#,
        )
        .unwrap();
        assert_eq!(r.expires_on, "1495271273");
        assert_eq!(r.access_token.expose(), "eyJ0eXAi.secret");
        assert!(!format!("{r:?}").contains("eyJ0eXAi"));
    }
}
