//! Typed text: the search, the picker, the help's filter and the prompts each take the
//! keys as characters, with a few keys of their own (Enter, Esc, the arrows).

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Mode, PAGE, Tab};
use super::keys::Action;
use super::view;

impl App<'_> {
    pub(super) fn help_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('?') => {
                self.mode = Mode::Normal;
                self.help_query.clear();
                self.help_scroll = 0;
            }
            KeyCode::Backspace => {
                self.help_query.pop();
                self.help_scroll = 0;
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.help_query.push(c);
                self.help_scroll = 0;
            }
            KeyCode::Up => self.help_scroll = self.help_scroll.saturating_sub(1),
            KeyCode::Down => self.help_scroll += 1,
            KeyCode::PageUp => self.help_scroll = self.help_scroll.saturating_sub(PAGE),
            KeyCode::PageDown => self.help_scroll += PAGE,
            KeyCode::Home => self.help_scroll = 0,
            _ => {}
        }
        self.help_scroll = self.help_scroll.min(view::help_max_scroll(self));
    }

    /// The picker: typing searches every node, Space chooses, Enter starts.
    pub(super) fn picker_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Enter => self.start_from_picker(),
            KeyCode::Char(' ') => {
                let Some(node) = self.selection() else {
                    return;
                };
                match self.picked.iter().position(|&n| n == node) {
                    Some(i) => {
                        self.picked.remove(i);
                    }
                    None => self.picked.push(node),
                }
            }
            KeyCode::Esc if !self.query.is_empty() => {
                self.query.clear();
                self.filter();
            }
            KeyCode::Backspace => {
                self.query.pop();
                self.filter();
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.query.push(c);
                self.filter();
            }
            KeyCode::Up => self.move_list(Action::Up),
            KeyCode::Down => self.move_list(Action::Down),
            KeyCode::PageUp => self.move_list(Action::PageUp),
            KeyCode::PageDown => self.move_list(Action::PageDown),
            _ => {}
        }
    }

    fn start_from_picker(&mut self) {
        // Enter may come before the worker's results for the last key: match now, so
        // the node under the cursor is the one the query names.
        if !self.query.is_empty() && self.matched_query() != self.query {
            self.search_now();
        }
        if self.picked.is_empty() {
            match self.selection() {
                Some(node) => self.picked.push(node),
                None => {
                    self.status = "nothing matches: type less of a name, key or id".into();
                    return;
                }
            }
        }
        self.compromised = std::mem::take(&mut self.picked);
        self.mode = Mode::Normal;
        self.query.clear();
        self.filter();
        if let Some(&c) = self.compromised.first() {
            self.select_node(c);
        }
        self.tab = Tab::Plan;
        // Work saved for this set before comes back; otherwise a new incident starts.
        self.resume();
        if self.incident.is_none() {
            self.analyze();
            self.changed();
        }
    }

    pub(super) fn typed(&mut self, key: KeyEvent) {
        let text = match self.mode {
            Mode::Search => &mut self.query,
            _ => &mut self.input,
        };
        match key.code {
            KeyCode::Esc => {
                text.clear();
                if self.mode == Mode::Search {
                    self.filter();
                }
                self.mode = Mode::Normal;
            }
            KeyCode::Enter => {
                if let Mode::Prompt(p) = self.mode {
                    let input = std::mem::take(&mut self.input);
                    self.mode = Mode::Normal;
                    self.submit(p, input.trim());
                } else {
                    self.mode = Mode::Normal;
                }
            }
            KeyCode::Backspace => {
                text.pop();
                if self.mode == Mode::Search {
                    self.filter();
                }
            }
            // Control chords are not text (Ctrl-c quits before reaching here).
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                text.push(c);
                if self.mode == Mode::Search {
                    self.filter();
                }
            }
            KeyCode::Up => self.move_list(Action::Up),
            KeyCode::Down => self.move_list(Action::Down),
            _ => {}
        }
    }
}
