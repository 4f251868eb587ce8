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

fn draw(app: &mut App<'_>, width: u16, height: u16) -> Terminal<TestBackend> {
    app.resize(Rect::new(0, 0, width, height));
    let app = &*app;
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|f| f.render_widget(app, f.area()))
        .expect("draws");
    terminal
}

fn screen(app: &mut App<'_>, width: u16, height: u16) -> String {
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
    let mut app = app(&graph);
    assert_eq!(app.tab, Tab::Plan);
    assert_eq!(
        app.selection().map(|n| graph.key(n).to_string()),
        Some(COMPROMISED.to_string())
    );
    insta::assert_snapshot!("tui_plan", screen(&mut app, 120, 32));
}

#[test]
fn the_first_frame_says_work_is_under_way() {
    let graph = sample();
    let c = graph.find(COMPROMISED).expect("compromised node");
    let mut app = App::new(&graph, vec![c], at());
    app.color = false;
    let jobs = app.take_jobs();
    assert_eq!(jobs.len(), 1, "the analysis goes to the worker");
    let text = screen(&mut app, 120, 32);
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
    for tab in ["paths", "notes", "details", "blast"] {
        press(&mut app, "\t");
        insta::assert_snapshot!(format!("tui_{tab}"), screen(&mut app, 120, 32));
    }
}

#[test]
fn search_highlights_and_ranks_matches() {
    let graph = sample();
    let mut app = app(&graph);
    press(&mut app, "/admin");
    assert_eq!(app.mode, Mode::Search);
    let first = app.selection().map(|n| graph.key(n).to_string());
    assert!(first.is_some_and(|k| k.contains("admin")));
    insta::assert_snapshot!("tui_search", screen(&mut app, 120, 32));
    // Snapshots hold no styles: the matched characters are underlined (colour off).
    let terminal = draw(&mut app, 120, 32);
    let buffer = terminal.backend().buffer();
    let underlined: String = (0..46)
        .filter(|&x| buffer[(x, 3)].modifier.contains(Modifier::UNDERLINED))
        .map(|x| buffer[(x, 3)].symbol().to_string())
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
    assert!(app.entries.iter().all(|&e| graph.node(e).platform == "aws"));
    press(&mut app, "tt");
    assert!(!app.entries.is_empty());
    assert!(
        app.entries
            .iter()
            .all(|&e| graph.node(e).kind.as_str() == "service_account")
    );
    insta::assert_snapshot!("tui_filtered", screen(&mut app, 120, 20));
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
    insta::assert_snapshot!("tui_steps_done", screen(&mut app, 120, 32));
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
    insta::assert_snapshot!("tui_marked", screen(&mut app, 120, 32));
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
    assert_eq!(saved["notes"][0]["text"], "owner of deploy paged at 03:12");
    assert!(
        saved["notes"][0]["at"].is_string(),
        "notes carry their time"
    );
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
    let notes: Vec<&str> = other.notes.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(notes, ["owner of deploy paged at 03:12"]);
    press(&mut other, "o../etc/passwd\n");
    assert!(other.status.contains("is not an incident name"));
}

#[test]
fn mouse_scrolls_and_selects() {
    let graph = sample();
    let mut app = app(&graph);
    press(&mut app, "g");
    trustpath::tui::mouse(
        &mut app,
        MouseEventKind::Down(MouseButton::Left),
        Position::new(5, 4),
    );
    assert_eq!(
        app.selected, 1,
        "the second row of the list (under a two-line header)"
    );
    trustpath::tui::mouse(&mut app, MouseEventKind::ScrollDown, Position::new(5, 4));
    assert_eq!(app.selected, 2);
    trustpath::tui::mouse(&mut app, MouseEventKind::ScrollDown, Position::new(80, 10));
    assert_eq!(
        (app.step, app.selected),
        (1, 2),
        "scrolling the plan moves the steps"
    );
    // A click on a tab's title shows it; the wheel then moves that pane, not the list.
    let details = Position::new(49, 3);
    trustpath::tui::mouse(&mut app, MouseEventKind::Down(MouseButton::Left), details);
    assert_eq!(app.tab, Tab::Details);
    trustpath::tui::mouse(&mut app, MouseEventKind::ScrollDown, Position::new(80, 12));
    assert_eq!(
        (app.edge, app.selected),
        (1, 2),
        "the wheel moved the edge cursor"
    );
    let blast = Position::new(59, 3);
    trustpath::tui::mouse(&mut app, MouseEventKind::Down(MouseButton::Left), blast);
    assert_eq!(app.tab, Tab::Blast);
    trustpath::tui::mouse(&mut app, MouseEventKind::ScrollDown, Position::new(80, 12));
    assert_eq!(app.scroll[Tab::Blast.index()], 1, "the blast tree scrolled");
}

#[test]
fn help_and_too_small() {
    let graph = sample();
    let mut app = app(&graph);
    press(&mut app, "?");
    insta::assert_snapshot!("tui_help", screen(&mut app, 120, 32));
    press(&mut app, "\x1b");
    assert_eq!(app.mode, Mode::Normal, "Esc closes the help");
    insta::assert_snapshot!("tui_too_small", screen(&mut app, 50, 12));
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

/// The sample's app at `width`×`height` with a data directory, focus on the Plan tab.
fn on_plan<'g>(graph: &'g TrustGraph, dir: &std::path::Path, width: u16, height: u16) -> App<'g> {
    let mut app = app(graph);
    app.resize(Rect::new(0, 0, width, height));
    app.data_dir = Some(dir.to_path_buf());
    press(&mut app, "\n");
    assert_eq!(
        (app.tab, app.focus),
        (Tab::Plan, trustpath::tui::Focus::Tab)
    );
    app
}

#[test]
fn the_picker_opens_when_nothing_names_the_compromise() {
    let aws = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/aws");
    let graph = trustpath::import::load_paths(&[aws.into()])
        .expect("loads")
        .graph;
    let mut app = App::new(&graph, Vec::new(), at());
    app.color = false;
    app.run_jobs();
    assert_eq!(app.mode, Mode::Picker);
    assert!(app.plan.is_none(), "no analysis before a choice");
    press(&mut app, "key-mak");
    let first = app.selection().map(|n| graph.key(n).to_string());
    assert_eq!(
        first.as_deref(),
        Some("arn:aws:iam::111122223333:user/key-maker")
    );
    insta::assert_snapshot!("tui_picker_80x24", screen(&mut app, 80, 24));
    press(&mut app, "\n");
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(app.compromised.len(), 1);
    assert!(app.plan.as_ref().is_some_and(|p| !p.steps.is_empty()));
    assert!(app.query.is_empty(), "the list shows everything again");
    // Space chooses one, and more can be chosen before Enter.
    let mut app = App::new(&graph, Vec::new(), at());
    press(&mut app, "key-maker ");
    assert_eq!(app.picked.len(), 1);
    insta::assert_snapshot!("tui_picker_160x48", screen(&mut app, 160, 48));
}

#[test]
fn a_step_reads_whole_and_copies_exactly_its_commands() {
    let graph = sample();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = on_plan(&graph, dir.path(), 80, 24);
    press(&mut app, "\n");
    assert!(app.step_open);
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("why:") && text.contains("owner:"), "{text}");
    insta::assert_snapshot!("tui_step_80x24", text);
    let text = screen(&mut app, 160, 48);
    for field in [
        "why:",
        "owner:",
        "collateral:",
        "live tokens:",
        "reversible:",
        "$ gh workflow disable",
    ] {
        assert!(text.contains(field), "{field} is on screen:\n{text}");
    }
    insta::assert_snapshot!("tui_step_160x48", text);
    // It scrolls, and says when more lies below.
    app.resize(Rect::new(0, 0, 80, 24));
    assert!(screen(&mut app, 80, 24).contains("more lines"));
    press(&mut app, "G");
    assert!(app.scroll[Tab::Plan.index()] > 0);
    press(&mut app, "y");
    let step = &app.plan.as_ref().expect("plan").steps[0];
    let want: String = step
        .playbook
        .commands
        .iter()
        .map(|c| format!("{c}\n"))
        .collect();
    assert_eq!(app.clipboard.as_deref(), Some(want.as_str()));
    assert!(app.status.contains("copied step 1"), "{}", app.status);
    let file = std::fs::read_dir(dir.path().join("exports"))
        .expect("exports")
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().ends_with("-step-1.txt"))
        .expect("the step's file");
    assert_eq!(std::fs::read_to_string(file.path()).expect("reads"), want);
    press(&mut app, "\x1b");
    assert!(!app.step_open, "Esc closes the step");
    app.clipboard = None;
    press(&mut app, "Y");
    let md = app.clipboard.take().expect("the plan");
    assert!(
        md.starts_with("# Revocation plan") && md.contains("- [ ]"),
        "{md}"
    );
}

#[test]
fn marks_survive_recomputes_and_undo() {
    let graph = sample();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = on_plan(&graph, dir.path(), 120, 32);
    press(&mut app, " j ");
    let ids = app.done_ids.clone();
    assert_eq!(ids.len(), 2);
    // Mark another node compromised from the list: the plan is recomputed, marks stay.
    press(&mut app, "\x1b/ci-deployer\n");
    press(&mut app, "c");
    assert_eq!(app.compromised.len(), 2);
    assert_eq!(app.done_ids, ids);
    let plan = app.plan.as_ref().expect("plan");
    let marked: Vec<&str> = plan
        .steps
        .iter()
        .zip(&app.done)
        .filter(|(_, d)| **d)
        .map(|(s, _)| s.id.as_str())
        .collect();
    assert_eq!(marked.len(), 2, "the new plan shows both marks: {marked:?}");
    // u takes the compromised set back, with the marks; again, the second mark.
    press(&mut app, "u");
    assert_eq!(app.compromised.len(), 1);
    assert_eq!(app.done_ids, ids);
    assert_eq!(app.done.iter().filter(|&&d| d).count(), 2);
    press(&mut app, "u");
    assert_eq!(app.done_ids.len(), 1);
    assert!(app.residual.is_some());
}

#[test]
fn notes_are_saved_at_once_and_come_back() {
    let graph = sample();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = on_plan(&graph, dir.path(), 120, 32);
    press(&mut app, " nowner paged at 03:12\n");
    let name = app.incident.clone().expect("saved under a derived name");
    assert_eq!(name, trustpath::tui::derived_name(&[COMPROMISED]));
    assert!(app.status.contains("saved in incident"), "{}", app.status);
    // Quit without `s`: a new session on the same compromise resumes it.
    press(&mut app, "q");
    let c = graph.find(COMPROMISED).expect("compromised");
    let mut again = App::new(&graph, vec![c], at());
    again.color = false;
    again.data_dir = Some(dir.path().to_path_buf());
    again.resume();
    again.run_jobs();
    assert_eq!(again.incident.as_deref(), Some(name.as_str()));
    assert!(
        again.status.starts_with("resumed incident"),
        "{}",
        again.status
    );
    assert_eq!(again.notes.len(), 1);
    assert_eq!(again.done.iter().filter(|&&d| d).count(), 1);
    press(&mut again, "\t\t");
    assert_eq!(again.tab, Tab::Notes);
    let text = screen(&mut again, 80, 24);
    assert!(text.contains("owner paged at 03:12"), "{text}");
    // The snapshot: no temporary path, and a note of a fixed time.
    again.data_dir = None;
    again.incident = None;
    again.notes[0].at = Some("2026-11-25T03:12:00Z".parse().expect("time"));
    insta::assert_snapshot!("tui_notes_80x24", screen(&mut again, 80, 24));
}

#[test]
fn small_terminals_keep_the_figures_and_the_help() {
    let graph = sample();
    let mut app = app(&graph);
    press(&mut app, "/ci-deployer\n");
    press(&mut app, "c\x1b");
    let text = screen(&mut app, 80, 24);
    let header: Vec<&str> = text.lines().take(3).collect();
    assert!(
        header
            .iter()
            .any(|l| l.contains("crown jewels") && l.contains("reached")),
        "{header:?}"
    );
    insta::assert_snapshot!("tui_plan_80x24", text);
    // Help scrolls and filters at 60×16.
    press(&mut app, "?");
    let help = screen(&mut app, 60, 16);
    assert!(help.contains("more"), "{help}");
    press(&mut app, "copy");
    let filtered = screen(&mut app, 60, 16);
    assert!(
        filtered.contains("copy_step") && !filtered.contains("mark_compromised"),
        "{filtered}"
    );
    press(&mut app, "\x1b");
    assert_eq!(app.mode, Mode::Normal);
    // Too small: keys do nothing but quit.
    let before = (app.tab, app.selected);
    app.resize(Rect::new(0, 0, 50, 12));
    press(&mut app, "\tjc?");
    assert_eq!(
        (app.tab, app.selected, app.mode),
        (before.0, before.1, Mode::Normal)
    );
    press(&mut app, "q");
    assert!(app.quit);
}

#[test]
fn details_scrolls_follows_edges_and_goes_back() {
    let graph = sample();
    let mut app = app(&graph);
    press(&mut app, "/role/deploy\n");
    let deploy = app.selection().expect("deploy");
    assert_eq!(graph.key(deploy), "arn:aws:iam::111122223333:role/deploy");
    app.resize(Rect::new(0, 0, 80, 24));
    press(&mut app, "\x1b");
    app.tab = Tab::Details;
    press(&mut app, "\nG");
    // The last incoming edge (who can reach it) is on screen at 80×24.
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("Incoming (who can reach it)"), "{text}");
    insta::assert_snapshot!("tui_details_80x24", text);
    let (_, other) = graph.incoming(deploy).last().expect("an incoming edge");
    press(&mut app, "\n");
    assert_eq!(app.selection(), Some(other), "Enter followed the edge");
    press(&mut app, "\x1b");
    assert_eq!(app.selection(), Some(deploy), "Esc came back");
}

#[test]
fn crown_jewels_first_with_their_cuts() {
    let graph = sample();
    let mut app = app(&graph);
    app.tab = Tab::Jewels;
    let jewels = app.jewels.clone();
    assert!(jewels.len() >= 10);
    assert!(graph.node(jewels[0]).is_crown_jewel());
    insta::assert_snapshot!("tui_jewels_80x24", screen(&mut app, 80, 24));
    // Enter shows the jewel's paths (they scroll there); Esc comes back.
    press(&mut app, "\n\n");
    assert_eq!((app.tab, app.selection()), (Tab::Paths, Some(jewels[0])));
    press(&mut app, "\x1b");
    assert_eq!(app.tab, Tab::Jewels);
    press(&mut app, "\x1b");
    // Every required step done: every crown jewel is cut off, and Paths says so.
    let required = app
        .plan
        .as_ref()
        .expect("plan")
        .steps
        .iter()
        .filter(|s| s.required)
        .count();
    app.tab = Tab::Plan;
    press(&mut app, "\n");
    for _ in 0..required {
        press(&mut app, " j");
    }
    app.tab = Tab::Jewels;
    let text = screen(&mut app, 160, 48);
    assert!(
        text.contains("with the steps marked done: 0 crown jewels, 1 other admins still reachable"),
        "{text}"
    );
    insta::assert_snapshot!("tui_jewels_160x48", text);
    press(&mut app, "\x1b\x1b");
    let jewel = graph
        .find("arn:aws:s3:::acme-customer-data")
        .expect("jewel");
    app.update(trustpath::tui::Action::Top);
    while app.selection() != Some(jewel) {
        app.update(trustpath::tui::Action::Down);
    }
    app.tab = Tab::Paths;
    press(&mut app, "");
    let text = screen(&mut app, 120, 32);
    assert!(text.contains("no path remains"), "{text}");
    // The Blast tree marks crown jewels and admins.
    press(&mut app, "/changed-files\n");
    app.tab = Tab::Blast;
    let text = screen(&mut app, 120, 48);
    assert!(
        text.contains("role/admin JA") && text.contains("cluster-admin A"),
        "{text}"
    );
}

#[test]
fn an_unnamed_incident_follows_its_set_and_the_picker_resumes_it() {
    let graph = sample();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = on_plan(&graph, dir.path(), 120, 32);
    press(&mut app, " nfirst note\n");
    let alone = trustpath::tui::derived_name(&[COMPROMISED]);
    assert_eq!(app.incident.as_deref(), Some(alone.as_str()));
    // Another node compromised: the work goes to the new set's file; the old file keeps
    // the old set.
    press(&mut app, "\x1b/ci-deployer\n");
    let deployer = app.selection().expect("ci-deployer");
    press(&mut app, "c");
    let key = graph.key(deployer).to_string();
    let both = trustpath::tui::derived_name(&[COMPROMISED, &key]);
    assert_eq!(app.incident.as_deref(), Some(both.as_str()));
    let old = trustpath::tui::load_incident(dir.path(), &alone).expect("the first file");
    assert_eq!(old.compromised, [COMPROMISED]);
    // The picker, on the first set again, brings its work back instead of wiping it.
    let mut picker = App::new(&graph, Vec::new(), at());
    picker.data_dir = Some(dir.path().to_path_buf());
    for c in "changed-files@v45".chars() {
        // No run_jobs: Enter comes before the worker's results.
        picker.key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }
    picker.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    picker.run_jobs();
    let c = graph.find(COMPROMISED).expect("compromised");
    assert_eq!(picker.compromised, [c], "the node the query names");
    assert_eq!(picker.incident.as_deref(), Some(alone.as_str()));
    assert_eq!(picker.notes.len(), 1);
    assert_eq!(picker.done.iter().filter(|&&d| d).count(), 1);
}

#[test]
fn every_tab_shows_and_clicks_at_sixty_columns() {
    let graph = sample();
    let mut app = app(&graph);
    let text = screen(&mut app, 60, 16);
    // The screen's lines are quoted: a cell's x is its char index less one.
    let (y, row) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("Det│"))
        .expect("the tab row");
    for title in ["Det", "Blast", "Jwl", "Plan", "Path", "Note"] {
        assert!(row.contains(title), "{text}");
    }
    let x = row.chars().position(|c| c == 'N').expect("Note") as u16 - 1;
    let y = y as u16;
    trustpath::tui::mouse(
        &mut app,
        MouseEventKind::Down(MouseButton::Left),
        Position::new(x, y),
    );
    assert_eq!(app.tab, Tab::Notes);
    // The pane's right border is no tab.
    trustpath::tui::mouse(
        &mut app,
        MouseEventKind::Down(MouseButton::Left),
        Position::new(59, y),
    );
    assert_eq!(app.tab, Tab::Notes);
}

/// The Audit tab: the findings of the whole graph, filtered by severity and category;
/// Enter selects the finding's node in Details, Esc comes back to the findings.
#[test]
fn the_audit_tab_filters_and_jumps() {
    let graph = sample();
    let mut app = app(&graph);
    while app.tab != Tab::Audit {
        press(&mut app, "\t");
    }
    assert!(app.audit.audit.is_some(), "the audit ran on the worker");
    press(&mut app, "\n");
    insta::assert_snapshot!("tui_audit", screen(&mut app, 120, 32));
    let all = app.audit.shown.len();
    press(&mut app, "v");
    assert!(app.audit.shown.len() < all, "one severity shows fewer");
    // The sample has no critical finding: the first severity with findings is high.
    assert!(!app.audit.shown.is_empty());
    assert!(app.audit.shown.iter().all(|&i| {
        app.audit.audit.as_ref().expect("audit").findings[i].severity
            == trustpath::analysis::audit::Severity::High
    }));
    press(&mut app, "vvv");
    assert_eq!(app.audit.shown.len(), all, "back to every severity");
    press(&mut app, "f");
    assert!(app.audit.shown.len() < all, "one category shows fewer");
    jump_to_the_finding_and_back(&mut app);
}

/// Enter on the finding under the cursor selects its node in Details; Esc comes back.
fn jump_to_the_finding_and_back(app: &mut App<'_>) {
    let finding = app.audit.selected().expect("a finding").clone();
    press(app, "\n");
    assert_eq!(app.tab, Tab::Details);
    assert_eq!(app.selection(), finding.nodes.first().copied());
    press(app, "\x1b");
    assert_eq!(app.tab, Tab::Audit, "Esc goes back to the findings");
}

/// Esc goes back to the findings also when the list had nothing selected before Enter
/// (a search that matched nothing).
#[test]
fn esc_goes_back_to_the_findings_from_an_empty_list() {
    let graph = sample();
    let mut app = app(&graph);
    press(&mut app, "/qqqqzzzz\n");
    assert_eq!(app.selection(), None, "nothing matches");
    while app.tab != Tab::Audit {
        press(&mut app, "\t");
    }
    press(&mut app, "\n");
    jump_to_the_finding_and_back(&mut app);
}

/// The Paths tab also says who can reach the selection, most easily held first, each
/// with its witness path (the reverse of what it reaches).
#[test]
fn the_paths_tab_says_who_can_reach_the_selection() {
    let graph = sample();
    let mut app = app(&graph);
    let jewel = graph
        .find("arn:aws:s3:::acme-customer-data")
        .expect("the bucket");
    let row = app
        .entries
        .iter()
        .position(|&n| n == jewel)
        .expect("listed");
    app.select(row);
    app.set_tab(Tab::Paths);
    app.run_jobs();
    let text = screen(&mut app, 140, 120);
    assert!(
        text.contains("Who can reach arn:aws:s3:::acme-customer-data"),
        "{text}"
    );
    assert!(text.contains("holders: third_party"), "{text}");
    assert!(
        text.contains("third_party github:action:aws-actions/configure-aws-credentials@v4"),
        "the mutable-tag actions come first: {text}"
    );
}
