//! The cashier's language. Every message a person reads exists in Norwegian Bokmål and English.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Norsk bokmål (default: the product is for Norwegian shops first).
    #[default]
    Nb,
    En,
}

impl Lang {
    /// Pick the text for this language.
    pub const fn pick<'a>(self, nb: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Nb => nb,
            Lang::En => en,
        }
    }
}

/// A message in both languages, for errors that travel up to the screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub nb: String,
    pub en: String,
}

impl Text {
    pub fn new(nb: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            nb: nb.into(),
            en: en.into(),
        }
    }
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Nb => &self.nb,
            Lang::En => &self.en,
        }
    }
}
