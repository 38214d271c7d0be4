//! The wire contract with Vipps: the request, response and error bodies of every API (one
//! module per spec), and the small serde helpers they share. Used by the clients in `api` and
//! by the simulator in `sim`; imports nothing but `domain` and `lang`.

pub mod ecom;
pub mod epayment;
pub mod error;
pub mod order_management;
pub mod psp;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Decode a JSON answer. The error names the field it stopped at, as a path from the top of
/// the document (`field `aggregate.capturedAmount.value`: invalid type: string "x", expected
/// i64 at line 1 column 42`; `aggregate: missing field `state``), so a wrong-typed field is as
/// easy to find as a missing one.
///
/// The path comes from the error's position in the text ([`json_path_at`]), not from a second
/// instrumented decoder: that would compile every answer type's decoder twice (measured: 2 MB
/// more binary) for the rare answer that does not decode.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| {
        let path = json_path_at(body, position_of(body, e.line(), e.column()));
        describe(&path, &e.to_string())
    })
}

fn describe(path: &str, message: &str) -> String {
    if path.is_empty() {
        message.to_owned()
    } else if message.starts_with("missing field") {
        // serde names the missing field itself; the path says what it is missing from.
        format!("{path}: {message}")
    } else {
        format!("field `{path}`: {message}")
    }
}

/// The byte offset of serde_json's (1-based line, column = bytes read on that line).
fn position_of(body: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    let mut l = 1;
    for (i, b) in body.iter().enumerate() {
        if l >= line {
            break;
        }
        if *b == b'\n' {
            l += 1;
            start = i + 1;
        }
    }
    (start + column).min(body.len())
}

/// The path (`a.b[2].c`) of the value that the JSON text `body` is in at byte `offset`: the
/// keys and indices of the objects and arrays still open there. Right after a value, or right
/// at the bracket that opens one, that is the value's own path; right after an object closed,
/// the path of that object. Malformed text gives the path as far as it could be followed.
pub fn json_path_at(body: &[u8], offset: usize) -> String {
    enum Frame {
        Object { key: Option<String> },
        Array { index: usize },
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    // Inside an object: is the next string a key?
    let mut want_key = false;
    let end = offset.min(body.len());
    while i < end {
        match body[i] {
            b'{' => {
                stack.push(Frame::Object { key: None });
                want_key = true;
            }
            b'[' => {
                stack.push(Frame::Array { index: 0 });
                want_key = false;
            }
            b'}' | b']' => {
                stack.pop();
                want_key = false;
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { .. }) => want_key = true,
                None => {}
            },
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < body.len() && body[j] != b'"' {
                    j += if body[j] == b'\\' { 2 } else { 1 };
                }
                if want_key && let Some(Frame::Object { key }) = stack.last_mut() {
                    let raw = &body[start..j.min(body.len())];
                    *key = Some(
                        serde_json::from_slice::<String>(&body[i..(j + 1).min(body.len())])
                            .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned()),
                    );
                    want_key = false;
                }
                i = j;
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for f in &stack {
        match f {
            Frame::Object { key: Some(k) } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Object { key: None } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

/// Declare a wire enum: known variants with their exact wire strings, plus `Unknown(String)`
/// so a response carrying a value this version does not know still parses (and round-trips
/// verbatim). Requests built by kasse only ever use the known variants.
macro_rules! wire_enum {
    (
        $(#[$m:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vm:meta])* $var:ident = $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vm])* $var, )+
            /// A value not known to this version of kasse, kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// Every known variant, in spec order.
            pub const KNOWN: &'static [$name] = &[$($name::$var),+];

            /// The exact string sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$var => $wire, )+
                    $name::Unknown(s) => s.as_str(),
                }
            }

            /// Parse a wire string; unknown values become `Unknown`.
            pub fn from_wire(s: &str) -> $name {
                match s {
                    $( $wire => $name::$var, )+
                    other => $name::Unknown(other.to_owned()),
                }
            }

            /// False for `Unknown(..)`.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let s = <String as ::serde::Deserialize>::deserialize(d)?;
                Ok($name::from_wire(&s))
            }
        }
    };
}
pub(crate) use wire_enum;

/// A secret that travels inside a wire type (access token, callback auth token, network token).
/// Serialises as a plain string, but `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct WireSecret(String);

impl WireSecret {
    pub fn new(s: impl Into<String>) -> WireSecret {
        WireSecret(s.into())
    }
    /// The secret itself: only call this where it is put on the wire or compared.
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Debug for WireSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WireSecret([redacted])")
    }
}

impl From<&str> for WireSecret {
    fn from(s: &str) -> WireSecret {
        WireSecret(s.to_owned())
    }
}

impl From<String> for WireSecret {
    fn from(s: String) -> WireSecret {
        WireSecret(s)
    }
}

/// A code that one gateway sends as a number and another as a string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NumOrString {
    Num(i64),
    Str(String),
}

impl fmt::Display for NumOrString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumOrString::Num(n) => write!(f, "{n}"),
            NumOrString::Str(s) => f.write_str(s),
        }
    }
}

/// Deserialize an integer that may arrive as a JSON number or a numeric string (Vipps' own
/// Postman collections send PSP `amount` as a string). Always serialised as a number.
pub fn int_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match NumOrString::deserialize(d)? {
        NumOrString::Num(n) => Ok(n),
        NumOrString::Str(s) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| serde::de::Error::custom(format!("expected an integer, got {s:?}"))),
    }
}

/// Deserialize a code that should be a string but may arrive as a number.
pub fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(NumOrString::deserialize(d)?.to_string())
}

/// Serialize helper for `int_or_string` fields (plain number).
pub fn int_plain<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_i64(*v)
}

#[cfg(test)]
mod tests {
    use super::*;

    wire_enum! {
        pub enum Demo { A = "A_WIRE", B = "b-wire" }
    }

    #[test]
    fn wire_enum_round_trips_known_and_unknown() {
        assert_eq!(serde_json::to_string(&Demo::A).unwrap(), "\"A_WIRE\"");
        assert_eq!(serde_json::from_str::<Demo>("\"b-wire\"").unwrap(), Demo::B);
        let u: Demo = serde_json::from_str("\"NEW\"").unwrap();
        assert_eq!(u, Demo::Unknown("NEW".into()));
        assert_eq!(serde_json::to_string(&u).unwrap(), "\"NEW\"");
        assert!(!u.is_known());
        assert_eq!(Demo::KNOWN.len(), 2);
    }

    #[test]
    fn wire_secret_is_redacted_in_debug() {
        let s = WireSecret::new("top-secret");
        assert!(!format!("{s:?}").contains("top-secret"));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"top-secret\"");
    }

    #[derive(Debug, Deserialize, Serialize)]
    struct Amt {
        #[serde(deserialize_with = "int_or_string", serialize_with = "int_plain")]
        amount: i64,
    }

    #[test]
    fn int_or_string_accepts_both() {
        assert_eq!(
            serde_json::from_str::<Amt>(r#"{"amount":"1500"}"#)
                .unwrap()
                .amount,
            1500
        );
        assert_eq!(
            serde_json::from_str::<Amt>(r#"{"amount":1500}"#)
                .unwrap()
                .amount,
            1500
        );
        assert!(serde_json::from_str::<Amt>(r#"{"amount":"15.0"}"#).is_err());
    }

    #[test]
    fn decode_errors_name_the_field() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Inner {
            value: i64,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        #[serde(rename_all = "camelCase")]
        struct Outer {
            captured_amount: Inner,
            list: Vec<Inner>,
        }
        let e = decode_json::<Outer>(br#"{"capturedAmount":{"value":"x"},"list":[]}"#).unwrap_err();
        assert!(
            e.starts_with("field `capturedAmount.value`: invalid type"),
            "{e}"
        );
        let e = decode_json::<Outer>(
            br#"{"capturedAmount":{"value":1},"list":[{"value":1},{"value":true}]}"#,
        )
        .unwrap_err();
        assert!(e.starts_with("field `list[1].value`:"), "{e}");
        let e = decode_json::<Outer>(br#"{"capturedAmount":{},"list":[]}"#).unwrap_err();
        assert!(e.contains("missing field `value`"), "{e}");
        assert!(e.starts_with("capturedAmount: "), "{e}");
        let e = decode_json::<Outer>(b"{\n  \"capturedAmount\": {\"value\": 1},\n  \"list\": [{\"value\": 1},\n {\"value\": [1]}]\n}")
            .unwrap_err();
        assert!(e.starts_with("field `list[1].value`:"), "{e}");
        let e = decode_json::<Outer>(br#"{"capturedAmount":{"value":1},"list":[]} x"#).unwrap_err();
        assert!(e.contains("trailing"), "{e}");
        let e =
            decode_json::<Outer>(br#"{"cap\"tured":1,"capturedAmount":{"value":{}},"list":[]}"#)
                .unwrap_err();
        assert!(e.starts_with("field `capturedAmount.value`:"), "{e}");
        assert!(decode_json::<Outer>(br#"{"capturedAmount":{"value":1},"list":[]}"#).is_ok());
    }
}
