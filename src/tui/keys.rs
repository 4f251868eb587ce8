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
    FilterPlatform,
    FilterKind,
    /// The Audit tab: one category of findings, the next, …, all.
    FilterCategory,
    FilterSeverity,
    Export,
    Save,
    Open,
    Note,
    /// Close the step, go back along followed edges, or return to the list.
    Back,
    Undo,
    CopyStep,
    CopyPlan,
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
        help: "a page up (the list, the steps, or the lines of the pane)",
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
        help: "into the tab; in it: open the step, follow the edge to its other end",
    },
    Binding {
        action: Action::Back,
        name: "back",
        keys: &["Esc"],
        help: "close the step, go back along followed edges, or return to the list",
    },
    Binding {
        action: Action::Search,
        name: "search",
        keys: &["/"],
        help: "fuzzy search the identities (Esc clears)",
    },
    Binding {
        action: Action::FilterPlatform,
        name: "filter_platform",
        keys: &["p"],
        help: "list one platform, the next, …, all",
    },
    Binding {
        action: Action::FilterKind,
        name: "filter_kind",
        keys: &["t"],
        help: "list one kind, the next, …, all",
    },
    Binding {
        action: Action::FilterCategory,
        name: "filter_category",
        keys: &["f"],
        help: "Audit: show one OWASP NHI category, the next, …, all",
    },
    Binding {
        action: Action::FilterSeverity,
        name: "filter_severity",
        keys: &["v"],
        help: "Audit: show one severity, the next, …, all",
    },
    Binding {
        action: Action::ToggleStep,
        name: "toggle_step",
        keys: &["Space"],
        help: "Plan tab: mark the step done or not done (kept across recomputes)",
    },
    Binding {
        action: Action::Undo,
        name: "undo",
        keys: &["u"],
        help: "undo the last change to the steps done or the compromised set",
    },
    Binding {
        action: Action::CopyStep,
        name: "copy_step",
        keys: &["y"],
        help: "copy the step's commands (OSC 52 clipboard, and a file in exports/)",
    },
    Binding {
        action: Action::CopyPlan,
        name: "copy_plan",
        keys: &["Y"],
        help: "copy the whole plan as a Markdown checklist (clipboard and exports/)",
    },
    Binding {
        action: Action::MarkCompromised,
        name: "mark_compromised",
        keys: &["c"],
        help: "mark or unmark the selection as compromised",
    },
    Binding {
        action: Action::Export,
        name: "export",
        keys: &["e"],
        help: "write the blast radius with the plan's cuts as DOT",
    },
    Binding {
        action: Action::Save,
        name: "save",
        keys: &["s"],
        help: "name the incident (it is saved after every change anyway)",
    },
    Binding {
        action: Action::Open,
        name: "open",
        keys: &["o"],
        help: "open a saved incident",
    },
    Binding {
        action: Action::Note,
        name: "note",
        keys: &["n"],
        help: "add a timestamped note to the incident (Notes tab)",
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

/// The effective key map: the defaults, with the actions a config file names rebound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    /// Per binding of [`DEFAULTS`] (same order): its keys.
    keys: Vec<Vec<String>>,
}

impl Default for KeyMap {
    fn default() -> KeyMap {
        KeyMap {
            keys: DEFAULTS
                .iter()
                .map(|b| b.keys.iter().map(|k| k.to_string()).collect())
                .collect(),
        }
    }
}

/// The config file's shape: `keys: {action_name: [key, …]}`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default)]
    keys: std::collections::BTreeMap<String, Vec<String>>,
}

impl KeyMap {
    /// Reads a YAML config (`keys: {search: ["/", "Ctrl-f"]}`); errors name the file, the
    /// unknown action or the key bound twice.
    pub fn from_config(path: &std::path::Path, text: &str) -> Result<KeyMap, String> {
        let at = path.display();
        let config: Config = serde_saphyr::from_str(text).map_err(|e| format!("{at}: {e}"))?;
        let mut map = KeyMap::default();
        let mut configured = vec![false; DEFAULTS.len()];
        for (name, keys) in config.keys {
            let Some(i) = DEFAULTS.iter().position(|b| b.name == name) else {
                let names: Vec<&str> = DEFAULTS.iter().map(|b| b.name).collect();
                return Err(format!(
                    "{at}: no action `{name}` (actions: {})",
                    names.join(", ")
                ));
            };
            map.keys[i] = keys;
            configured[i] = true;
        }
        // A key the file gives an action is taken from the action it had by default, so
        // a file written before a new default (`u`, `y`) still loads; the file binding a
        // key to two actions is an error.
        let taken: Vec<String> = (0..DEFAULTS.len())
            .filter(|&i| configured[i])
            .flat_map(|i| map.keys[i].clone())
            .collect();
        for (i, keys) in map.keys.iter_mut().enumerate() {
            if !configured[i] {
                keys.retain(|k| !taken.contains(k));
            }
        }
        let mut seen = std::collections::HashMap::new();
        for (i, keys) in map.keys.iter().enumerate() {
            for k in keys {
                if let Some(j) = seen.insert(k.as_str(), i) {
                    return Err(format!(
                        "{at}: `{k}` is bound to both {} and {}",
                        DEFAULTS[j].name, DEFAULTS[i].name
                    ));
                }
            }
        }
        Ok(map)
    }

    /// The action bound to a key, if any.
    pub fn action(&self, key: KeyEvent) -> Option<Action> {
        let spelled = spell(key)?;
        self.keys
            .iter()
            .position(|keys| keys.contains(&spelled))
            .map(|i| DEFAULTS[i].action)
    }

    /// The keys of an action, joined for hints and help.
    pub fn keys_of(&self, action: Action) -> String {
        DEFAULTS
            .iter()
            .position(|b| b.action == action)
            .map(|i| self.keys[i].join(", "))
            .unwrap_or_default()
    }

    /// The shortest key of an action (`j` rather than `Down`), for the footer.
    pub fn short_of(&self, action: Action) -> &str {
        DEFAULTS
            .iter()
            .position(|b| b.action == action)
            .and_then(|i| self.keys[i].iter().min_by_key(|k| k.chars().count()))
            .map_or("", String::as_str)
    }

    /// The first key of an action, for the status bar.
    pub fn key_of(&self, action: Action) -> &str {
        DEFAULTS
            .iter()
            .position(|b| b.action == action)
            .and_then(|i| self.keys[i].first())
            .map_or("", String::as_str)
    }
}

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
        let map = KeyMap::default();
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(map.action(ctrl_c), Some(Action::Quit));
        let c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(map.action(c), Some(Action::MarkCompromised));
        let space = KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE);
        assert_eq!(map.action(space), Some(Action::ToggleStep));
    }

    #[test]
    fn config_rebinds_and_refuses_mistakes() {
        let path = std::path::Path::new("config.yaml");
        let map = KeyMap::from_config(
            path,
            "keys:\n  search: [\"/\", \"Ctrl-f\"]\n  quit: [\"x\"]\n",
        )
        .expect("valid config");
        let ctrl_f = KeyEvent::new(KeyCode::Char('f'), KeyModifiers::CONTROL);
        assert_eq!(map.action(ctrl_f), Some(Action::Search));
        let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(map.action(q), None, "quit moved to x");
        assert_eq!(map.keys_of(Action::Search), "/, Ctrl-f");
        let unknown =
            KeyMap::from_config(path, "keys:\n  teleport: [\"z\"]\n").expect_err("unknown action");
        assert!(
            unknown.starts_with("config.yaml: no action `teleport`"),
            "{unknown}"
        );
        // A key taken from a default: the file wins, the default action keeps its others.
        let moved = KeyMap::from_config(path, "keys:\n  quit: [\"j\"]\n").expect("j moves");
        let j = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(moved.action(j), Some(Action::Quit));
        assert_eq!(moved.keys_of(Action::Down), "Down");
        let twice = KeyMap::from_config(path, "keys:\n  quit: [\"x\"]\n  undo: [\"x\"]\n")
            .expect_err("x twice");
        assert!(
            twice.contains("`x` is bound to both undo and quit"),
            "{twice}"
        );
        assert!(
            KeyMap::from_config(path, "keyz: {}\n").is_err(),
            "unknown fields are refused"
        );
    }
}
