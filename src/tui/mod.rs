//! The interactive terminal UI: one [`App`] state, key → [`Action`] → `update`, and a
//! pure render. Analyses that can take a second on a large graph run on a worker thread;
//! the loop draws, hands out jobs, takes results and reads keys, never blocking on work.

mod app;
mod audit;
mod incident;
mod input;
mod jobs;
mod keys;
mod text;
mod view;
mod work;

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use jiff::Timestamp;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind, MouseButton, MouseEventKind,
};
use ratatui::crossterm::execute;
use ratatui::layout::{Position, Rect};

pub use app::{App, Focus, Mode, Prompt, Tab};
pub use incident::{Incident, Note, derived_name, load as load_incident};
pub use jobs::{Done, Job, search};
pub use keys::{Action, Binding, DEFAULTS, KeyMap};

use crate::model::{NodeId, TrustGraph};

/// Where the TUI keeps its files, and how it starts.
pub struct Settings {
    pub keys: KeyMap,
    /// Incidents and exports go here (`None`: saving is refused with a message).
    pub data_dir: Option<PathBuf>,
    /// Open this saved incident at start.
    pub incident: Option<String>,
}

impl Settings {
    /// The key map from `TRUSTPATH_CONFIG`, else `config.yaml` in the config directory
    /// (when it exists); the data directory from `directories`.
    pub fn discover(incident: Option<String>) -> Result<Settings, String> {
        let dirs = directories::ProjectDirs::from("", "", "trustpath");
        let config = std::env::var_os("TRUSTPATH_CONFIG")
            .map(PathBuf::from)
            .or_else(|| {
                dirs.as_ref()
                    .map(|d| d.config_dir().join("config.yaml"))
                    .filter(|p| p.exists())
            });
        let keys = match config {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                KeyMap::from_config(&path, &text)?
            }
            None => KeyMap::default(),
        };
        Ok(Settings {
            keys,
            data_dir: dirs.map(|d| d.data_dir().to_path_buf()),
            incident,
        })
    }
}

/// How long the loop waits for a key before it redraws the spinner.
const TICK: Duration = Duration::from_millis(80);

/// Runs the TUI until the user quits. The terminal (and mouse capture) are restored on
/// quit, on error and on panic.
pub fn run(
    graph: &TrustGraph,
    compromised: Vec<NodeId>,
    at: Timestamp,
    settings: Settings,
) -> io::Result<()> {
    let mut app = App::new(graph, compromised, at);
    app.keys = settings.keys;
    app.data_dir = settings.data_dir;
    app.color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    match &settings.incident {
        Some(name) => app.open(name),
        None => app.resume(),
    }
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel::<Done<'_>>();
        // Two workers: analyses (up to a second or two on a million nodes), and searches
        // (typed, so they must not wait behind an analysis).
        let worker = |latest_only: bool| {
            let (tx, rx) = mpsc::channel::<Job>();
            let done = done_tx.clone();
            scope.spawn(move || {
                while let Ok(mut job) = rx.recv() {
                    // Typing queues a search per key: only the last one still matters.
                    while latest_only && let Ok(newer) = rx.try_recv() {
                        job = newer;
                        if done.send(Done::Dropped).is_err() {
                            return;
                        }
                    }
                    if done.send(job.run(graph, at)).is_err() {
                        break;
                    }
                }
            });
            tx
        };
        let (jobs_tx, search_tx) = (worker(false), worker(true));
        drop(done_tx);
        let mut terminal = ratatui::init();
        let restore = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = execute!(io::stdout(), DisableMouseCapture);
            restore(info);
        }));
        let _ = execute!(io::stdout(), EnableMouseCapture);
        let result = (|| -> io::Result<()> {
            loop {
                for job in app.take_jobs() {
                    // The workers only go away with the scope: a send cannot fail here.
                    let _ = if job.is_search() {
                        &search_tx
                    } else {
                        &jobs_tx
                    }
                    .send(job);
                }
                while let Ok(done) = done_rx.try_recv() {
                    app.finish(done);
                }
                if let Some(text) = app.clipboard.take() {
                    copy_to_clipboard(&text)?;
                }
                app.resize(terminal.size()?.into());
                terminal.draw(|frame| frame.render_widget(&app, frame.area()))?;
                if app.quit {
                    return Ok(());
                }
                if !event::poll(TICK)? {
                    app.tick = app.tick.wrapping_add(1);
                    continue;
                }
                match event::read()? {
                    Event::Key(key) if key.kind == KeyEventKind::Press => app.key(key),
                    Event::Mouse(m) => {
                        app.resize(terminal.size()?.into());
                        mouse(&mut app, m.kind, Position::new(m.column, m.row));
                    }
                    Event::Resize(w, h) => app.resize(Rect::new(0, 0, w, h)),
                    _ => {}
                }
            }
        })();
        drop((jobs_tx, search_tx));
        let _ = execute!(io::stdout(), DisableMouseCapture);
        ratatui::restore();
        let _ = io::stdout().flush();
        result
    })
}

/// Puts `text` on the terminal's clipboard with OSC 52: xterm-compatible terminals, tmux
/// with `set-clipboard on`, and terminals at the far end of an ssh session all take it.
fn copy_to_clipboard(text: &str) -> io::Result<()> {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = io::stdout();
    write!(out, "\x1b]52;c;{encoded}\x07")?;
    out.flush()
}

/// Scroll moves the pane under the pointer; a click in the list selects that row, a
/// click on a tab's title shows it, a click in the tab pane gives it the focus. Only
/// `Ctrl-c`/`q` act while the terminal is too small, and the mouse not at all.
pub fn mouse(app: &mut App<'_>, kind: MouseEventKind, at: Position) {
    if app.too_small() || !matches!(app.mode, Mode::Normal | Mode::Search) {
        return;
    }
    let areas = view::areas(app, app.area);
    let in_list = areas.list.contains(at);
    let in_tabs = areas.tabs.contains(at);
    if kind == MouseEventKind::Down(MouseButton::Left)
        && let Some(tab) = view::tab_at(app, at)
    {
        app.focus = Focus::Tab;
        app.set_tab(tab);
        return;
    }
    match kind {
        MouseEventKind::ScrollUp | MouseEventKind::ScrollDown if in_list || in_tabs => {
            app.focus = if in_list { Focus::List } else { Focus::Tab };
            app.update(if kind == MouseEventKind::ScrollUp {
                Action::Up
            } else {
                Action::Down
            });
        }
        MouseEventKind::Down(MouseButton::Left) if in_list => {
            app.focus = Focus::List;
            // Rows sit inside the border: the first and last lines of the pane are frame.
            let inside = at.y > areas.list.y && at.y + 1 < areas.list.y + areas.list.height;
            let row = at.y.saturating_sub(areas.list.y + 1) as usize;
            let index = view::list_offset(app, areas.list) + row;
            if inside && index < app.entries.len() {
                app.select(index);
            }
        }
        MouseEventKind::Down(MouseButton::Left) if in_tabs => app.focus = Focus::Tab,
        _ => {}
    }
}
