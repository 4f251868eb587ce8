//! End to end: the real binary in a real terminal (tmux), driven by keys, read back from
//! the screen, and quit cleanly with the terminal restored. `.ci/run` installs tmux; on a
//! machine without it the test says so and does nothing.

use std::process::Command;
use std::time::{Duration, Instant};

/// Kills the tmux session however the test ends.
struct Session(String);

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.0])
            .output();
    }
}

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().expect("tmux runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits until the screen shows `text`, and returns the screen.
fn wait_for(session: &str, text: &str) -> String {
    let start = Instant::now();
    loop {
        let screen = tmux(&["capture-pane", "-p", "-t", session]);
        if screen.contains(text) {
            return screen;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "waited 30 s for {text:?}; the screen shows:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_tui_runs_in_a_real_terminal_and_exits_cleanly() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("tmux is not installed: skipping (.ci/run installs it)");
        return;
    }
    let dirs = tempfile::tempdir().expect("temp dir");
    let name = format!("trustpath-test-{}", std::process::id());
    let session = Session(name.clone());
    let command = format!(
        "cd {} && env XDG_DATA_HOME={d}/data XDG_CONFIG_HOME={d}/config TERM=xterm-256color {} --at 2026-11-25; echo EXIT=$?; sleep 60",
        env!("CARGO_MANIFEST_DIR"),
        env!("CARGO_BIN_EXE_trustpath"),
        d = dirs.path().display(),
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &name,
        "-x",
        "120",
        "-y",
        "32",
        &command,
    ]);
    let first = wait_for(&session.0, "Identities (75)");
    assert!(first.contains("github:action:tj-style/changed-files@v45"));
    wait_for(&session.0, "[ ]   1 contain  pin_action");
    tmux(&["send-keys", "-t", &name, "?"]);
    wait_for(&session.0, "Keys (any key closes)");
    tmux(&["send-keys", "-t", &name, "x", "Enter", "Space"]);
    wait_for(&session.0, "[x]   1 contain");
    // Resizing redraws: below 60×16 the screen says so, and back again.
    tmux(&["resize-window", "-t", &name, "-x", "50", "-y", "12"]);
    wait_for(&session.0, "terminal too small");
    tmux(&["resize-window", "-t", &name, "-x", "120", "-y", "32"]);
    wait_for(&session.0, "Identities (75)");
    tmux(&["send-keys", "-t", &name, "q"]);
    let end = wait_for(&session.0, "EXIT=0");
    assert!(
        !end.contains("Identities (75)"),
        "the terminal is restored:\n{end}"
    );
}
