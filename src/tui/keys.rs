//! Keys are data: every named action has default keys and a description, and the help
//! screen and the status bar are generated from this table.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What the user can ask for. Keys map to these; `App::update` carries them out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    NextTab,
    PrevTab,
    Search,
    ToggleStep,
    MarkCompromised,
    Help,
    /// Pane focus: the list on the left, or the tab on the right.
    SwitchPane,
}

/// One binding: the keys that trigger an action, and what it does.
pub struct Binding {
    pub action: Action,
    pub name: &'static str,
    pub keys: &'static [&'static str],
    pub help: &'static str,
}

/// The default key map.
pub const DEFAULTS: &[Binding] = &[
    Binding {
        action: Action::Up,
        name: "up",
        keys: &["Up", "k"],
        help: "previous item",
    },
    Binding {
        action: Action::Down,
        name: "down",
        keys: &["Down", "j"],
        help: "next item",
    },
    Binding {
        action: Action::PageUp,
        name: "page_up",
        keys: &["PageUp"],
        help: "a page up",
    },
    Binding {
        action: Action::PageDown,
        name: "page_down",
        keys: &["PageDown"],
        help: "a page down",
    },
    Binding {
        action: Action::Top,
        name: "top",
        keys: &["Home", "g"],
        help: "first item",
    },
    Binding {
        action: Action::Bottom,
        name: "bottom",
        keys: &["End", "G"],
        help: "last item",
    },
    Binding {
        action: Action::NextTab,
        name: "next_tab",
        keys: &["Tab", "l"],
        help: "next tab",
    },
    Binding {
        action: Action::PrevTab,
        name: "prev_tab",
        keys: &["BackTab", "h"],
        help: "previous tab",
    },
    Binding {
        action: Action::SwitchPane,
        name: "switch_pane",
        keys: &["Enter"],
        help: "move between the list and the tab",
    },
    Binding {
        action: Action::Search,
        name: "search",
        keys: &["/"],
        help: "fuzzy search the identities (Esc clears)",
    },
    Binding {
        action: Action::ToggleStep,
        name: "toggle_step",
        keys: &["Space"],
        help: "Plan tab: mark the step done or not done",
    },
    Binding {
        action: Action::MarkCompromised,
        name: "mark_compromised",
        keys: &["c"],
        help: "mark or unmark the selection as compromised",
    },
    Binding {
        action: Action::Help,
        name: "help",
        keys: &["?"],
        help: "this help",
    },
    Binding {
        action: Action::Quit,
        name: "quit",
        keys: &["q", "Ctrl-c"],
        help: "quit",
    },
];

/// Spells a key event the way [`DEFAULTS`] does (`Ctrl-c`, `PageUp`, `?`).
pub fn spell(key: KeyEvent) -> Option<String> {
    let base = match key.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Up => "Up".into(),
        KeyCode::Down => "Down".into(),
        KeyCode::Left => "Left".into(),
        KeyCode::Right => "Right".into(),
        KeyCode::PageUp => "PageUp".into(),
        KeyCode::PageDown => "PageDown".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "BackTab".into(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Backspace => "Backspace".into(),
        _ => return None,
    };
    Some(if key.modifiers.contains(KeyModifiers::CONTROL) {
        format!("Ctrl-{base}")
    } else {
        base
    })
}

/// The action bound to a key, if any.
pub fn action_for(key: KeyEvent) -> Option<Action> {
    let spelled = spell(key)?;
    DEFAULTS
        .iter()
        .find(|b| b.keys.contains(&spelled.as_str()))
        .map(|b| b.action)
}

/// The first key of an action, for hints.
pub fn key_of(action: Action) -> &'static str {
    DEFAULTS
        .iter()
        .find(|b| b.action == action)
        .and_then(|b| b.keys.first().copied())
        .unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_bound_once_and_spelled_back() {
        let mut seen = std::collections::HashSet::new();
        for b in DEFAULTS {
            for k in b.keys {
                assert!(seen.insert(*k), "{k} is bound twice");
            }
        }
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(ctrl_c), Some(Action::Quit));
        let c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(action_for(c), Some(Action::MarkCompromised));
        let space = KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE);
        assert_eq!(action_for(space), Some(Action::ToggleStep));
    }
}
