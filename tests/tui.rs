//! The TUI's screens, drawn on a fixed-size TestBackend from the sample incident, and key
//! sequences driven through the same `App::key` the terminal loop uses (jobs run on this
//! thread). Snapshots hold the text; colour is off so they read the same everywhere.

use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEventKind};
use ratatui::layout::{Position, Rect};
use ratatui::style::Modifier;
use trustpath::import::load_sample_at;
use trustpath::model::TrustGraph;
use trustpath::tui::{App, Mode, Tab};

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
    app.run_jobs();
    app
}

fn draw(app: &App<'_>, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|f| f.render_widget(app, f.area()))
        .expect("draws");
    terminal
}

fn screen(app: &App<'_>, width: u16, height: u16) -> String {
    format!("{}", draw(app, width, height).backend())
}

/// Types keys (`\n` Enter, `\x1b` Esc, `\t` Tab), then lets the queued jobs finish.
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
    app.run_jobs();
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
fn the_first_frame_says_work_is_under_way() {
    let graph = sample();
    let c = graph.find(COMPROMISED).expect("compromised node");
    let mut app = App::new(&graph, vec![c], at());
    app.color = false;
    let jobs = app.take_jobs();
    assert_eq!(jobs.len(), 1, "the analysis goes to the worker");
    let text = screen(&app, 120, 32);
    assert!(text.contains("computing the blast radius and the plan"));
    for job in jobs {
        let done = job.run(&graph, at());
        app.finish(done);
    }
    assert!(app.plan.is_some() && app.busy == 0);
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
    assert_eq!(app.mode, Mode::Search);
    let first = app.selection().map(|n| graph.node(n).key.to_string());
    assert!(first.is_some_and(|k| k.contains("admin")));
    insta::assert_snapshot!("tui_search", screen(&app, 120, 32));
    // Snapshots hold no styles: the matched characters are underlined (colour off).
    let terminal = draw(&app, 120, 32);
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
fn platform_and_kind_filters_cycle() {
    let graph = sample();
    let mut app = app(&graph);
    press(&mut app, "p");
    assert_eq!(app.platform.as_deref(), Some("aws"));
    assert!(
        app.entries
            .iter()
            .all(|&e| &*graph.node(e).platform == "aws")
    );
    press(&mut app, "tt");
    assert!(!app.entries.is_empty());
    assert!(
        app.entries
            .iter()
            .all(|&e| graph.node(e).kind.as_str() == "service_account")
    );
    insta::assert_snapshot!("tui_filtered", screen(&app, 120, 20));
    // Cycling past the last value lists everything again.
    for _ in 0..8 {
        press(&mut app, "t");
    }
    assert_eq!(app.kind, None);
}

#[test]
fn toggling_the_required_steps_cuts_off_every_crown_jewel() {
    let graph = sample();
    let mut app = app(&graph);
    let plan = app.plan.as_ref().expect("plan");
    let (required, after) = (
        plan.steps.iter().filter(|s| s.required).count(),
        plan.after.reached,
    );
    press(&mut app, "\n");
    for _ in 0..required {
        press(&mut app, " j");
    }
    let residual = app.residual.expect("computed");
    assert_eq!(residual.crown_jewels, 0);
    assert_eq!(residual.reached, after);
    insta::assert_snapshot!("tui_steps_done", screen(&app, 120, 32));
    press(&mut app, "g ");
    assert!(!app.done[0], "space again undoes the step");
}

#[test]
fn marking_compromised_recomputes_everything() {
    let graph = sample();
    let mut app = app(&graph);
    let before = app.blast.as_ref().expect("blast").summary.reached;
    press(&mut app, "/ci-deployer\n");
    press(&mut app, "c");
    assert_eq!(app.compromised.len(), 2);
    assert!(app.status.contains("marked compromised"));
    assert!(app.blast.as_ref().expect("blast").summary.reached >= before);
    insta::assert_snapshot!("tui_marked", screen(&app, 120, 32));
    press(&mut app, "c");
    assert_eq!(app.compromised.len(), 1, "c again unmarks it");
}

#[test]
fn incidents_save_and_open_and_the_view_exports() {
    let graph = sample();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = app(&graph);
    app.data_dir = Some(dir.path().to_path_buf());
    press(&mut app, "\n ");
    press(&mut app, "nowner of deploy paged at 03:12\n");
    press(&mut app, "s");
    assert_eq!(app.mode, Mode::Prompt(trustpath::tui::Prompt::Save));
    press(&mut app, "tj-actions\n");
    assert!(app.status.starts_with("saved "), "{}", app.status);
    let file = dir.path().join("incidents/tj-actions.json");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("saved")).expect("JSON");
    assert_eq!(saved["schema"], "trustpath/incident/v1");
    assert_eq!(saved["compromised"][0], COMPROMISED);
    assert_eq!(saved["notes"][0], "owner of deploy paged at 03:12");
    assert_eq!(saved["done"].as_array().map(Vec::len), Some(1));

    press(&mut app, "e");
    assert!(app.status.starts_with("wrote "), "{}", app.status);
    let dot = std::fs::read_to_string(dir.path().join("exports/tj-actions-1.dot")).expect("dot");
    assert!(dot.contains("cut by step 1"));

    let mut other = self::app(&graph);
    other.data_dir = Some(dir.path().to_path_buf());
    press(&mut other, "otj-actions\n");
    assert_eq!(other.incident.as_deref(), Some("tj-actions"));
    assert_eq!(other.done.iter().filter(|d| **d).count(), 1);
    assert_eq!(other.notes, ["owner of deploy paged at 03:12"]);
    press(&mut other, "o../etc/passwd\n");
    assert!(other.status.contains("is not an incident name"));
}

#[test]
fn mouse_scrolls_and_selects() {
    let graph = sample();
    let mut app = app(&graph);
    press(&mut app, "g");
    let size = Rect::new(0, 0, 120, 32);
    trustpath::tui::mouse(
        &mut app,
        MouseEventKind::Down(MouseButton::Left),
        Position::new(5, 3),
        size,
    );
    assert_eq!(app.selected, 1, "the second row of the list");
    trustpath::tui::mouse(
        &mut app,
        MouseEventKind::ScrollDown,
        Position::new(5, 3),
        size,
    );
    assert_eq!(app.selected, 2);
    trustpath::tui::mouse(
        &mut app,
        MouseEventKind::ScrollDown,
        Position::new(80, 10),
        size,
    );
    assert_eq!(
        (app.step, app.selected),
        (1, 2),
        "scrolling the plan moves the steps"
    );
}

#[test]
fn help_and_too_small() {
    let graph = sample();
    let mut app = app(&graph);
    press(&mut app, "?");
    insta::assert_snapshot!("tui_help", screen(&app, 120, 32));
    press(&mut app, "x");
    assert_eq!(app.mode, Mode::Normal, "any key closes the help");
    insta::assert_snapshot!("tui_too_small", screen(&app, 50, 12));
    press(&mut app, "q");
    assert!(app.quit);
}

#[test]
fn readme_keys_table_matches_the_key_map() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    for binding in trustpath::tui::DEFAULTS {
        // The keys table: `| keys | action names, / separated | what it does |`.
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
