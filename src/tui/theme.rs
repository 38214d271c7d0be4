//! Semantic styles loaded from `assets/theme.toml` (embedded); a user file merges over it.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::str::FromStr;

/// The embedded default theme.
pub const DEFAULT_THEME: &str = include_str!("../../assets/theme.toml");

/// A theme error, quoting the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThemeError {
    #[error("cannot read theme file \"{path}\": {reason}")]
    Read { path: String, reason: String },
    #[error("theme file is not valid TOML: {0}. Fix the syntax and start again")]
    Toml(String),
    #[error("theme: unknown name \"{0}\". Known names: {1}")]
    UnknownName(String, String),
    #[error(
        "theme: \"{name}.{field}\" = \"{value}\" is not a colour. Use an ANSI name (e.g. \"red\"), 0-255 or \"#rrggbb\""
    )]
    BadColor {
        name: String,
        field: &'static str,
        value: String,
    },
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStyle {
    fg: Option<String>,
    bg: Option<String>,
    bold: Option<bool>,
    dim: Option<bool>,
    reversed: Option<bool>,
}

/// The semantic palette every view uses. No view picks a raw colour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub base: Style,
    pub muted: Style,
    pub title: Style,
    pub selection: Style,
    pub success: Style,
    pub warning: Style,
    pub error: Style,
    pub hint: Style,
    pub total: Style,
    pub training: Style,
    pub status_bar: Style,
    pub gauge: Style,
    /// Dark QR modules.
    pub qr_fg: Color,
    /// Light QR modules and quiet zone.
    pub qr_bg: Color,
}

const NAMES: [&str; 14] = [
    "base",
    "muted",
    "title",
    "selection",
    "success",
    "warning",
    "error",
    "hint",
    "total",
    "training",
    "status_bar",
    "gauge",
    "qr_fg",
    "qr_bg",
];

fn parse_color(name: &str, field: &'static str, value: &str) -> Result<Color, ThemeError> {
    Color::from_str(value).map_err(|_| ThemeError::BadColor {
        name: name.to_string(),
        field,
        value: value.to_string(),
    })
}

fn to_style(name: &str, raw: &RawStyle) -> Result<Style, ThemeError> {
    let mut style = Style::default();
    if let Some(fg) = &raw.fg {
        style = style.fg(parse_color(name, "fg", fg)?);
    }
    if let Some(bg) = &raw.bg {
        style = style.bg(parse_color(name, "bg", bg)?);
    }
    if raw.bold == Some(true) {
        style = style.add_modifier(Modifier::BOLD);
    }
    if raw.dim == Some(true) {
        style = style.add_modifier(Modifier::DIM);
    }
    if raw.reversed == Some(true) {
        style = style.add_modifier(Modifier::REVERSED);
    }
    Ok(style)
}

fn parse_raw(text: &str) -> Result<BTreeMap<String, RawStyle>, ThemeError> {
    let map: BTreeMap<String, RawStyle> =
        toml::from_str(text).map_err(|e| ThemeError::Toml(e.to_string()))?;
    for key in map.keys() {
        if !NAMES.contains(&key.as_str()) {
            return Err(ThemeError::UnknownName(key.clone(), NAMES.join(", ")));
        }
    }
    Ok(map)
}

impl Theme {
    /// The embedded default theme.
    pub fn default_theme() -> Result<Theme, ThemeError> {
        Theme::with_override(None)
    }

    /// The default theme with a user theme file's entries merged over it (entry by entry).
    pub fn with_override(user: Option<&str>) -> Result<Theme, ThemeError> {
        let mut map = parse_raw(DEFAULT_THEME)?;
        if let Some(user) = user {
            for (k, v) in parse_raw(user)? {
                map.insert(k, v);
            }
        }
        let get = |name: &str| -> Result<Style, ThemeError> {
            to_style(name, map.get(name).unwrap_or(&RawStyle::default()))
        };
        let color = |name: &str, fallback: Color| -> Result<Color, ThemeError> {
            match map.get(name).and_then(|r| r.fg.as_deref()) {
                Some(v) => parse_color(name, "fg", v),
                None => Ok(fallback),
            }
        };
        Ok(Theme {
            base: get("base")?,
            muted: get("muted")?,
            title: get("title")?,
            selection: get("selection")?,
            success: get("success")?,
            warning: get("warning")?,
            error: get("error")?,
            hint: get("hint")?,
            total: get("total")?,
            training: get("training")?,
            status_bar: get("status_bar")?,
            gauge: get("gauge")?,
            qr_fg: color("qr_fg", Color::Black)?,
            qr_bg: color("qr_bg", Color::White)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_theme_loads_with_dark_on_light_qr() {
        let t = Theme::default_theme().unwrap();
        assert_eq!(t.qr_fg, Color::Rgb(0, 0, 0));
        assert_eq!(t.qr_bg, Color::Rgb(255, 255, 255));
        assert_eq!(t.error.fg, Some(Color::Red));
    }

    #[test]
    fn user_theme_merges_over_defaults() {
        let t = Theme::with_override(Some("[error]\nfg = \"magenta\"\n")).unwrap();
        assert_eq!(t.error.fg, Some(Color::Magenta));
        assert_eq!(t.success.fg, Some(Color::Green));
    }

    #[test]
    fn bad_colour_is_quoted() {
        let err = Theme::with_override(Some("[error]\nfg = \"rouge\"\n")).unwrap_err();
        assert!(err.to_string().contains("\"rouge\""), "{err}");
        assert!(err.to_string().contains("error.fg"), "{err}");
    }

    #[test]
    fn unknown_name_is_quoted() {
        let err = Theme::with_override(Some("[eror]\nfg = \"red\"\n")).unwrap_err();
        assert!(err.to_string().contains("\"eror\""), "{err}");
    }
}
