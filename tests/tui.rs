//! The TUI's screens, drawn on a fixed-size TestBackend from the sample incident, and key
//! sequences driven through the same `App::key` the terminal loop uses. Snapshots hold
//! the text; colour is off so they read the same everywhere.

use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Modifier;
use trustpath::import::load_sample_at;
use trustpath::model::TrustGraph;
use trustpath::tui::{App, Tab};

const COMPROMISED: &str = "github:action:tj-style/changed-files@v45";

fn at() -> Timestamp {
    "2026-11-25T00:00:00Z".parse().expect("timestamp")
}

fn sample() -> TrustGraph {
    load_sample_at(at()).expect("the sample loads").graph
}

fn app(graph: &TrustGraph) -> App<'_> {
    let c = graph.find(COMPROMISED).expect("compromised node");
    let mut app = App::new(graph, vec![c], at());
    app.color = false;
    app
}

fn screen(app: &App<'_>, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|f| f.render_widget(app, f.area()))
        .expect("draws");
    format!("{}", terminal.backend())
}

fn press(app: &mut App<'_>, keys: &str) {
    for c in keys.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\x1b' => KeyCode::Esc,
            '\t' => KeyCode::Tab,
            c => KeyCode::Char(c),
        };
        app.key(KeyEvent::new(code, KeyModifiers::NONE));
    }
}

#[test]
fn opens_on_the_plan_with_the_compromise_selected() {
    let graph = sample();
    let app = app(&graph);
    assert_eq!(app.tab, Tab::Plan);
    assert_eq!(
        app.selection().map(|n| graph.node(n).key.to_string()),
        Some(COMPROMISED.to_string())
    );
    insta::assert_snapshot!("tui_plan", screen(&app, 120, 32));
}

#[test]
fn every_tab() {
    let graph = sample();
    let mut app = app(&graph);
    for tab in ["paths", "audit", "details", "blast"] {
        press(&mut app, "\t");
        insta::assert_snapshot!(format!("tui_{tab}"), screen(&app, 120, 32));
    }
}

#[test]
fn search_highlights_and_ranks_matches() {
    let graph = sample();
    let mut app = app(&graph);
    press(&mut app, "/admin");
    assert!(app.searching);
    let first = app.selection().map(|n| graph.node(n).key.to_string());
    assert!(first.is_some_and(|k| k.contains("admin")));
    insta::assert_snapshot!("tui_search", screen(&app, 120, 32));
    // Snapshots hold no styles: the matched characters are underlined (colour off).
    let mut terminal = Terminal::new(TestBackend::new(120, 32)).expect("test terminal");
    terminal
        .draw(|f| f.render_widget(&app, f.area()))
        .expect("draws");
    let buffer = terminal.backend().buffer();
    let underlined: String = (0..46)
        .filter(|&x| buffer[(x, 2)].modifier.contains(Modifier::UNDERLINED))
        .map(|x| buffer[(x, 2)].symbol().to_string())
        .collect();
    assert_eq!(underlined, "admin", "the first match's matched characters");
    press(&mut app, "\x1b");
    assert_eq!(
        app.entries.len(),
        graph.node_count(),
        "Esc clears the filter"
    );
}

#[test]
fn toggling_the_required_steps_cuts_off_every_crown_jewel() {
    let graph = sample();
    let mut app = app(&graph);
    let required = app.plan.steps.iter().filter(|s| s.required).count();
    press(&mut app, "\n");
    for _ in 0..required {
        press(&mut app, " j");
    }
    assert_eq!(app.residual.crown_jewels, 0);
    assert_eq!(app.residual.reached, app.plan.after.reached);
    insta::assert_snapshot!("tui_steps_done", screen(&app, 120, 32));
    press(&mut app, "g ");
    assert!(!app.done[0], "space again undoes the step");
}

#[test]
fn marking_compromised_recomputes_everything() {
    let graph = sample();
    let mut app = app(&graph);
    let before = app.blast.summary.reached;
    press(&mut app, "/ci-deployer\n");
    press(&mut app, "c");
    assert_eq!(app.compromised.len(), 2);
    assert!(app.status.contains("marked compromised"));
    assert!(app.blast.summary.reached >= before);
    insta::assert_snapshot!("tui_marked", screen(&app, 120, 32));
    press(&mut app, "c");
    assert_eq!(app.compromised.len(), 1, "c again unmarks it");
}

#[test]
fn help_and_too_small() {
    let graph = sample();
    let mut app = app(&graph);
    press(&mut app, "?");
    insta::assert_snapshot!("tui_help", screen(&app, 120, 32));
    press(&mut app, "x");
    assert!(!app.help, "any key closes the help");
    insta::assert_snapshot!("tui_too_small", screen(&app, 50, 12));
    press(&mut app, "q");
    assert!(app.quit);
}

#[test]
fn readme_keys_table_matches_the_key_map() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    for binding in trustpath::tui::DEFAULTS {
        // The keys table: `| keys | action names, ` / `-separated | what it does |`.
        let row = readme
            .lines()
            .filter(|l| l.starts_with("| `"))
            .find(|l| {
                l.split('|')
                    .nth(2)
                    .is_some_and(|names| names.split('/').any(|n| n.trim() == binding.name))
            })
            .unwrap_or_else(|| panic!("README's keys table has no row for {}", binding.name));
        for key in binding.keys {
            assert!(
                row.contains(&format!("`{key}`")),
                "README row for {} lacks `{key}`",
                binding.name
            );
        }
    }
}
