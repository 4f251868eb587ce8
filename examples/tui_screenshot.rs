//! Renders the TUI on the sample incident to an SVG for the README (no terminal, no
//! recording tool): a TestBackend buffer, each run of same-styled cells one `<text>`.
//! The Plan tab with four steps marked done; with `jewels`, the Jewels tab after them;
//! with `step`, the fifth step whole.
//!
//!     cargo run --example tui_screenshot [jewels|step] > assets/tui.svg   (assets/screenshot.sh)

use std::fmt::Write as _;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Cell;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Color, Modifier};
use trustpath::import::load_sample_at;
use trustpath::tui::App;

const WIDTH: u16 = 120;
const HEIGHT: u16 = 32;
const CELL_W: f64 = 8.4;
const CELL_H: f64 = 17.0;
const FG: &str = "#d4d4d4";
const BG: &str = "#1e1e2e";

fn hex(color: Color, default: &'static str) -> String {
    match color {
        Color::Reset => default.into(),
        Color::Black => "#1e1e2e".into(),
        Color::Red | Color::LightRed => "#f38ba8".into(),
        Color::Green | Color::LightGreen => "#a6e3a1".into(),
        Color::Yellow | Color::LightYellow => "#f9e2af".into(),
        Color::Blue | Color::LightBlue => "#89b4fa".into(),
        Color::Magenta | Color::LightMagenta => "#cba6f7".into(),
        Color::Cyan | Color::LightCyan => "#89dceb".into(),
        Color::Gray | Color::White => "#cdd6f4".into(),
        Color::DarkGray => "#7f849c".into(),
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(_) => default.into(),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Foreground, background, bold, underlined, after applying `REVERSED`.
fn look(cell: &Cell) -> (String, String, bool, bool) {
    let (mut fg, mut bg) = (hex(cell.fg, FG), hex(cell.bg, BG));
    if cell.modifier.contains(Modifier::REVERSED) {
        std::mem::swap(&mut fg, &mut bg);
    }
    (
        fg,
        bg,
        cell.modifier.contains(Modifier::BOLD),
        cell.modifier.contains(Modifier::UNDERLINED),
    )
}

fn main() {
    let at = "2026-11-25T00:00:00Z".parse().expect("timestamp");
    let graph = load_sample_at(at).expect("the sample loads").graph;
    let compromised = graph
        .find("github:action:tj-style/changed-files@v45")
        .expect("compromised node");
    let mut app = App::new(&graph, vec![compromised], at);
    app.resize(ratatui::layout::Rect::new(0, 0, WIDTH, HEIGHT));
    // The plan tab with its first four steps done.
    for code in [
        KeyCode::Enter,
        KeyCode::Char(' '),
        KeyCode::Char('j'),
        KeyCode::Char(' '),
    ]
    .into_iter()
    .chain([
        KeyCode::Char('j'),
        KeyCode::Char(' '),
        KeyCode::Char('j'),
        KeyCode::Char(' '),
    ]) {
        app.run_jobs();
        app.key(KeyEvent::new(code, KeyModifiers::NONE));
    }
    app.run_jobs();
    match std::env::args().nth(1).as_deref() {
        Some("jewels") => {
            app.key(KeyEvent::new(KeyCode::Char('h'), KeyModifiers::NONE));
            app.key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE));
        }
        Some("step") => app.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        _ => {}
    }
    app.run_jobs();
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test terminal");
    terminal
        .draw(|f| f.render_widget(&app, f.area()))
        .expect("draws");
    let buffer = terminal.backend().buffer();

    let (w, h) = (f64::from(WIDTH) * CELL_W, f64::from(HEIGHT) * CELL_H);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" \
         font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"14\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"{BG}\"/>\n"
    );
    for y in 0..HEIGHT {
        let mut x = 0;
        while x < WIDTH {
            let style = look(&buffer[(x, y)]);
            let start = x;
            let mut text = String::new();
            while x < WIDTH && look(&buffer[(x, y)]) == style {
                text.push_str(buffer[(x, y)].symbol());
                x += 1;
            }
            let (fg, bg, bold, underline) = style;
            let (px, py) = (f64::from(start) * CELL_W, f64::from(y) * CELL_H);
            let run = f64::from(x - start) * CELL_W;
            if bg != BG {
                let _ = writeln!(
                    svg,
                    "<rect x=\"{px:.1}\" y=\"{py:.1}\" width=\"{run:.1}\" height=\"{CELL_H}\" fill=\"{bg}\"/>"
                );
            }
            if !text.trim().is_empty() {
                let _ = writeln!(
                    svg,
                    "<text x=\"{px:.1}\" y=\"{:.1}\" fill=\"{fg}\" textLength=\"{run:.1}\" xml:space=\"preserve\"{}{}>{}</text>",
                    py + CELL_H * 0.78,
                    if bold { " font-weight=\"bold\"" } else { "" },
                    if underline {
                        " text-decoration=\"underline\""
                    } else {
                        ""
                    },
                    escape(&text)
                );
            }
        }
    }
    svg.push_str("</svg>\n");
    print!("{svg}");
}
