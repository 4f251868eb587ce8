//! End to end: the real binary in a real terminal (tmux), driven by keys, read back from
//! the screen, and quit cleanly with the terminal restored. Each test has a tmux server
//! of its own (`-L`), a data directory of its own, and a clipboard tmux keeps
//! (`set-clipboard on`). `.ci/run` installs tmux; on a machine without it the tests say
//! so and do nothing.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server and session running trustpath; killed however the test ends.
struct Tui {
    socket: String,
    dirs: tempfile::TempDir,
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

fn have_tmux() -> bool {
    common::have("tmux", &["-V"])
}

impl Tui {
    /// Starts `trustpath ARGS --at 2026-11-25` at `width`×`height` in a new server.
    fn start(name: &str, args: &str, width: u16, height: u16) -> Tui {
        let tui = Tui {
            socket: format!("trustpath-{name}-{}", std::process::id()),
            dirs: tempfile::tempdir().expect("temp dir"),
        };
        tui.run(args, width, height);
        tui
    }

    /// Runs trustpath again in the same server and data directory (after it quit).
    fn run(&self, args: &str, width: u16, height: u16) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-session", "-t", "tp"])
            .output();
        let command = format!(
            "cd {} && env XDG_DATA_HOME={d}/data XDG_CONFIG_HOME={d}/config TERM=xterm-256color {} {args} --at 2026-11-25; echo EXIT=$?; sleep 60",
            env!("CARGO_MANIFEST_DIR"),
            env!("CARGO_BIN_EXE_trustpath"),
            d = self.dirs.path().display(),
        );
        let (w, h) = (width.to_string(), height.to_string());
        // Killing the last session stops the server, and a new session asked for while it
        // is still stopping is lost (seen on a loaded machine): ask until one exists.
        for _ in 0..50 {
            self.tmux(&[
                "new-session",
                "-d",
                "-s",
                "tp",
                "-x",
                &w,
                "-y",
                &h,
                &command,
            ]);
            let up = Command::new("tmux")
                .args(["-L", &self.socket, "has-session", "-t", "tp"])
                .output()
                .is_ok_and(|o| o.status.success());
            if up {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        // OSC 52 from the application sets tmux's buffer.
        self.tmux(&["set-option", "-s", "set-clipboard", "on"]);
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Sends keys, one `send-keys` each. An `Escape` is followed by a pause: a terminal
    /// reads ESC and the next key arriving together as one Alt-chord (`ESC /` is Alt-/),
    /// which on a loaded machine turned a search into a lost keystroke.
    fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.tmux(&["send-keys", "-t", "tp", key]);
            if *key == "Escape" {
                std::thread::sleep(Duration::from_millis(150));
            }
        }
    }

    /// Types `text` literally.
    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "tp", "-l", text]);
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "tp"])
    }

    /// Waits until the screen shows `text`, and returns the screen.
    fn wait_for(&self, text: &str) -> String {
        self.wait_for_all(&[text])
    }

    /// Waits until one capture of the screen shows every one of `texts` (a capture can
    /// catch the terminal mid-redraw), and returns it.
    fn wait_for_all(&self, texts: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if texts.iter().all(|t| screen.contains(t)) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "waited 30 s for {texts:?}; the screen shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn quit(&self) {
        self.keys(&["q"]);
        let end = self.wait_for("EXIT=0");
        assert!(
            !end.contains("Identities ("),
            "the terminal is restored:\n{end}"
        );
    }
}

#[test]
fn the_tui_runs_in_a_real_terminal_and_exits_cleanly() {
    if !have_tmux() {
        return;
    }
    let tui = Tui::start("sample", "", 120, 32);
    tui.wait_for_all(&[
        "Identities (96)",
        "github:action:tj-style/changed-files@v45",
    ]);
    tui.wait_for("[ ]   1 contain pin_action");
    tui.keys(&["?"]);
    tui.wait_for("Keys · type to filter");
    tui.keys(&["Escape", "Enter", "Space"]);
    tui.wait_for("[x]   1 contain");
    // Resizing redraws: below 60×16 the screen says so, and back again.
    tui.tmux(&["resize-window", "-t", "tp", "-x", "50", "-y", "12"]);
    tui.wait_for("terminal too small");
    tui.tmux(&["resize-window", "-t", "tp", "-x", "120", "-y", "32"]);
    tui.wait_for("Identities (96)");
    tui.quit();
}

#[test]
fn a_gaad_export_with_no_suggestion_opens_the_picker() {
    if !have_tmux() {
        return;
    }
    let tui = Tui::start("picker", "-i tests/fixtures/aws", 120, 32);
    tui.wait_for("Pick the compromised set");
    tui.type_text("key-maker");
    tui.wait_for("arn:aws:iam::111122223333:user/key-maker      ");
    tui.keys(&["Enter"]);
    tui.wait_for_all(&[
        "[ ]   1 contain",
        "compromised: arn:aws:iam::111122223333:user/key-maker",
    ]);
    tui.quit();
    // -c opens on it directly.
    tui.run("-i tests/fixtures/aws -c key-maker", 120, 32);
    let direct = tui.wait_for_all(&[
        "[ ]   1 contain",
        "compromised: arn:aws:iam::111122223333:user/key-maker",
    ]);
    assert!(!direct.contains("Pick the compromised set"));
    tui.quit();
}

#[test]
fn y_copies_exactly_the_steps_commands_into_the_clipboard() {
    if !have_tmux() {
        return;
    }
    let json = Command::new(env!("CARGO_BIN_EXE_trustpath"))
        .args(["plan", "--format", "json", "--at", "2026-11-25"])
        .output()
        .expect("plan");
    let plan: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let want: String = plan["steps"][0]["commands"]
        .as_array()
        .expect("commands")
        .iter()
        .map(|c| format!("{}\n", c.as_str().expect("a string")))
        .collect();
    let tui = Tui::start("copy", "", 120, 32);
    tui.wait_for("[ ]   1 contain pin_action");
    tui.keys(&["Enter", "y"]);
    tui.wait_for("copied step 1");
    let start = Instant::now();
    let mut got = String::new();
    while start.elapsed() < Duration::from_secs(10) {
        got = tui.tmux(&["show-buffer"]);
        if !got.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(got, want, "tmux's buffer holds step 1's commands");
    // The step whole: why, owner, collateral and undo are on screen.
    tui.keys(&["Enter"]);
    tui.wait_for_all(&["why:", "owner:", "collateral:", "reversible:"]);
    tui.quit();
}

#[test]
fn marks_survive_c_and_u_and_notes_survive_quitting() {
    if !have_tmux() {
        return;
    }
    let tui = Tui::start("work", "", 80, 24);
    let first = tui.wait_for_all(&["[ ]   1 contain", "62 reached · 12 crown jewels"]);
    // At 80×24 the header still shows the figures.
    assert!(
        first
            .lines()
            .take(2)
            .any(|l| l.contains("62 reached · 12 crown jewels")),
        "{first}"
    );
    tui.keys(&["Enter", "Space", "j", "Space"]);
    tui.wait_for("[x]   2 cut");
    tui.keys(&["Escape", "Escape", "/"]);
    tui.type_text("ci-deployer");
    // On a loaded machine the keys can outrun the filter: open the node only once the
    // list shows the filtered matches, or `c` acts on the node selected before.
    tui.wait_for("/ci-deployer (");
    tui.keys(&["Enter", "c"]);
    tui.wait_for("user/ci-deployer marked compromised");
    // Marks kept after c.
    tui.wait_for_all(&["with 2 of", "[x]"]);
    tui.keys(&["u"]);
    tui.wait_for_all(&["the compromised set is back", "with 2 of"]);
    tui.keys(&["n"]);
    tui.type_text("owner of deploy paged at 03:12");
    tui.keys(&["Enter"]);
    tui.wait_for("saved in incident");
    tui.quit();
    // The same compromise again: the incident is resumed, with its note and marks.
    tui.run("", 80, 24);
    tui.wait_for("resumed incident");
    tui.wait_for("with 2 of");
    tui.keys(&["Tab", "Tab"]);
    tui.wait_for("owner of deploy paged at");
    tui.quit();
}
