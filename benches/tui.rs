//! TUI responsiveness on a generated organisation: the first frame after loading, and the
//! time per keystroke (handling plus drawing a 160×48 screen) for list navigation and a
//! typed search. The analyses run as jobs, off the keystroke path; their time is shown
//! apart.
//!
//!     cargo bench --bench tui                         # 100k and 1M nodes
//!     cargo bench --bench tui -- 1000000

mod common;

use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use trustpath::import;
use trustpath::tui::App;

fn main() {
    let sizes = common::sizes(&[100_000, 1_000_000]);
    println!(
        "{:>9} {:>12} {:>12} {:>10} {:>10} {:>10} {:>11} {:>11} {:>12} {:>12}",
        "nodes",
        "first frame",
        "analysis",
        "draw",
        "nav mean",
        "nav max",
        "type mean",
        "type max",
        "match mean",
        "match max"
    );
    for n in sizes {
        let file = common::generated(n, "tui");
        let graph = import::load_paths(std::slice::from_ref(&file))
            .expect("load")
            .graph;
        let start = common::suggested(&graph);
        let at = jiff::Timestamp::now();
        let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("terminal");

        // First frame: the app and its list, drawn before the analysis job has run.
        let t = Instant::now();
        let mut app = App::new(&graph, vec![start], at);
        terminal
            .draw(|f| f.render_widget(&app, f.area()))
            .expect("draw");
        let first = t.elapsed();
        let t = Instant::now();
        app.run_jobs();
        let analysis = t.elapsed();
        let t = Instant::now();
        terminal
            .draw(|f| f.render_widget(&app, f.area()))
            .expect("draw");
        let draw = t.elapsed();

        let nav: Vec<Duration> = (0..200)
            .map(|i| match i % 5 {
                0 => KeyCode::PageDown,
                4 => KeyCode::End,
                3 => KeyCode::Home,
                _ => KeyCode::Down,
            })
            .map(|code| stroke(&mut app, &mut terminal, code))
            .collect();
        // Typing: the keystroke (the query grows, a search job goes out, the screen is
        // drawn), and apart from it the job that brings the matches.
        let mut search = vec![stroke(&mut app, &mut terminal, KeyCode::Char('/'))];
        let mut matching = Vec::new();
        for c in "aws:role:00".chars() {
            search.push(stroke(&mut app, &mut terminal, KeyCode::Char(c)));
            let t = Instant::now();
            app.run_jobs();
            matching.push(t.elapsed());
        }
        search.push(stroke(&mut app, &mut terminal, KeyCode::Esc));
        let (nav_mean, nav_max) = stats(&nav);
        let (search_mean, search_max) = stats(&search);
        let (match_mean, match_max) = stats(&matching);
        println!(
            "{:>9} {:>12} {:>12} {:>10} {:>10} {:>10} {:>11} {:>11} {:>12} {:>12}",
            n,
            ms(first),
            ms(analysis),
            ms(draw),
            ms(nav_mean),
            ms(nav_max),
            ms(search_mean),
            ms(search_max),
            ms(match_mean),
            ms(match_max)
        );
        views(&mut app, &mut terminal);
        picker(&graph, at, &mut terminal);
        let _ = std::fs::remove_file(&file);
    }
}

/// Mean and max of a set of timings.
fn stats(v: &[Duration]) -> (Duration, Duration) {
    let total: Duration = v.iter().sum();
    (
        total / v.len().max(1) as u32,
        v.iter().max().copied().unwrap_or_default(),
    )
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// One keystroke: handling it and drawing the screen (what the UI thread does).
fn stroke(app: &mut App<'_>, terminal: &mut Terminal<TestBackend>, code: KeyCode) -> Duration {
    let t = Instant::now();
    app.key(KeyEvent::new(code, KeyModifiers::NONE));
    terminal
        .draw(|f| f.render_widget(&*app, f.area()))
        .expect("draw");
    t.elapsed()
}

/// Every tab with the focus on it: 60 movement keys each (Down, PageDown, End, Home),
/// on the node the analysis started from (the compromised one, with the largest tree).
fn views(app: &mut App<'_>, terminal: &mut Terminal<TestBackend>) {
    app.resize(ratatui::layout::Rect::new(0, 0, 160, 48));
    stroke(app, terminal, KeyCode::Enter);
    for tab in trustpath::tui::Tab::ALL {
        app.set_tab(tab);
        app.run_jobs();
        let keys: Vec<Duration> = (0..60)
            .map(|i| match i % 6 {
                0 => KeyCode::PageDown,
                4 => KeyCode::End,
                5 => KeyCode::Home,
                _ => KeyCode::Down,
            })
            .map(|code| stroke(app, terminal, code))
            .collect();
        let (mean, max) = stats(&keys);
        println!(
            "    view {:<8} keystroke mean {} max {}",
            tab.title(),
            ms(mean),
            ms(max)
        );
    }
    // The step whole, scrolled.
    app.set_tab(trustpath::tui::Tab::Plan);
    stroke(app, terminal, KeyCode::Enter);
    let keys: Vec<Duration> = (0..60)
        .map(|_| stroke(app, terminal, KeyCode::Down))
        .collect();
    let (mean, max) = stats(&keys);
    println!(
        "    view {:<8} keystroke mean {} max {}",
        "step",
        ms(mean),
        ms(max)
    );
}

/// The picker: typing part of a key, one key at a time; each keystroke sends a search
/// job (timed apart: it runs on its own worker), then Enter starts the analysis.
fn picker(
    graph: &trustpath::model::TrustGraph,
    at: jiff::Timestamp,
    terminal: &mut Terminal<TestBackend>,
) {
    let t = Instant::now();
    let mut app = App::new(graph, Vec::new(), at);
    terminal
        .draw(|f| f.render_widget(&app, f.area()))
        .expect("draw");
    let first = t.elapsed();
    let mut keys = Vec::new();
    let mut jobs = Vec::new();
    for c in "aws:role:00012".chars() {
        keys.push(stroke(&mut app, terminal, KeyCode::Char(c)));
        let t = Instant::now();
        app.run_jobs();
        jobs.push(t.elapsed());
    }
    let (key_mean, key_max) = stats(&keys);
    let (job_mean, job_max) = stats(&jobs);
    println!(
        "    picker   first frame {} · keystroke mean {} max {} · results (off the UI thread) mean {} max {} · {} matches",
        ms(first),
        ms(key_mean),
        ms(key_max),
        ms(job_mean),
        ms(job_max),
        app.entries.len()
    );
}
