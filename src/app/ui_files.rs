//! The screen's files: the user's key map and colour theme, read here (the screen itself does
//! no IO) and merged over the embedded defaults.

use crate::tui::keymap::{Keymap, KeymapError};
use crate::tui::theme::{Theme, ThemeError};
use std::path::Path;

/// The default key map merged with the user's key map file, if one is configured.
pub fn load_keymap(user_file: Option<&Path>) -> Result<Keymap, KeymapError> {
    match user_file {
        None => Keymap::default_keymap(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| KeymapError::Read {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            Keymap::with_override(Some(&text))
        }
    }
}

/// The default theme merged with the user's theme file, if one is configured.
pub fn load_theme(user_file: Option<&Path>) -> Result<Theme, ThemeError> {
    match user_file {
        None => Theme::default_theme(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| ThemeError::Read {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            Theme::with_override(Some(&text))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::keymap::{Action, Mode};
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::style::Color;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn the_keymap_file_is_read_or_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.toml");
        std::fs::write(
            &path,
            "[[sale]]\nkey = \"f11\"\naction = \"pay\"\nnb = \"Betal\"\nen = \"Pay\"\n",
        )
        .unwrap();
        let km = load_keymap(Some(&path)).unwrap();
        assert_eq!(
            km.lookup(Mode::Sale, &ev(KeyCode::F(11), KeyModifiers::NONE)),
            Some(Action::Pay)
        );
        let missing = dir.path().join("nope.toml");
        assert!(
            load_keymap(Some(&missing))
                .unwrap_err()
                .to_string()
                .contains("nope.toml")
        );
    }

    #[test]
    fn the_theme_file_is_read_or_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("theme.toml");
        std::fs::write(&path, "[success]\nfg = \"blue\"\n").unwrap();
        assert_eq!(
            load_theme(Some(&path)).unwrap().success.fg,
            Some(Color::Blue)
        );
        assert_eq!(load_theme(None).unwrap(), Theme::default_theme().unwrap());
        let missing = dir.path().join("nope.toml");
        assert!(
            load_theme(Some(&missing))
                .unwrap_err()
                .to_string()
                .contains("nope.toml")
        );
    }
}
