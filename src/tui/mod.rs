//! The interactive terminal UI: one [`App`] state, key → [`Action`] → `update`, and a
//! pure render. The loop is synchronous: draw, wait for a key, update.

mod app;
mod keys;
mod view;

use std::io;

use jiff::Timestamp;
use ratatui::crossterm::event::{self, Event, KeyEventKind};

pub use app::{App, Tab};
pub use keys::{Action, DEFAULTS};

use crate::model::{NodeId, TrustGraph};

/// Runs the TUI until the user quits. The terminal is restored on quit, on error and on
/// panic (ratatui's `init` installs the hook).
pub fn run(graph: &TrustGraph, compromised: Vec<NodeId>, at: Timestamp) -> io::Result<()> {
    let mut app = App::new(graph, compromised, at);
    app.color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut terminal = ratatui::init();
    let result = (|| -> io::Result<()> {
        while !app.quit {
            terminal.draw(|frame| frame.render_widget(&app, frame.area()))?;
            if let Event::Key(key) = event::read()?
                && key.kind == KeyEventKind::Press
            {
                app.key(key);
            }
        }
        Ok(())
    })();
    ratatui::restore();
    result
}
