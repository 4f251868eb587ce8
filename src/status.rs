//! One line of progress on stderr for long work (loading, generating): shown once the
//! work has taken a second, redrawn at most five times a second, erased at the end, and
//! never written when stderr is not a terminal (a log or a pipe gets no `\r` noise).

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

/// Work shorter than this shows no progress at all.
const AFTER: Duration = Duration::from_secs(1);
/// Redraw no more often than this.
const EVERY: Duration = Duration::from_millis(200);
/// Overrides [`AFTER`], in milliseconds (`0`: from the start). Lets tests and screen
/// recordings see the line on small inputs.
pub const AFTER_ENV: &str = "TRUSTPATH_PROGRESS_AFTER_MS";

pub struct StatusLine {
    terminal: bool,
    start: Instant,
    after: Duration,
    last: Option<Instant>,
}

impl StatusLine {
    /// A status line for work starting now, on stderr when it is a terminal.
    pub fn stderr() -> StatusLine {
        let after = std::env::var(AFTER_ENV)
            .ok()
            .and_then(|ms| ms.trim().parse().ok())
            .map_or(AFTER, Duration::from_millis);
        StatusLine::new(io::stderr().is_terminal(), Instant::now(), after)
    }

    fn new(terminal: bool, start: Instant, after: Duration) -> StatusLine {
        StatusLine {
            terminal,
            start,
            after,
            last: None,
        }
    }

    /// Whether a line is due at `now`; when it is, the caller draws it.
    fn due(&mut self, now: Instant) -> bool {
        let due = self.terminal
            && now.duration_since(self.start) >= self.after
            && self.last.is_none_or(|t| now.duration_since(t) >= EVERY);
        if due {
            self.last = Some(now);
        }
        due
    }

    /// Draws `line()` over the previous one when due. Progress is best effort: a failed
    /// write to stderr must not fail the work.
    pub fn show(&mut self, err: &mut dyn Write, line: impl FnOnce() -> String) {
        if self.due(Instant::now()) {
            let _ = write!(err, "\r\x1b[2K{}", line());
            let _ = err.flush();
        }
    }

    /// Erases the line, if one was drawn.
    pub fn clear(&self, err: &mut dyn Write) {
        if self.last.is_some() {
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_after_a_second_then_at_most_five_times_a_second() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut line = StatusLine::new(true, t0, AFTER);
        assert!(!line.due(ms(999)), "quiet during the first second");
        assert!(line.due(ms(1000)));
        assert!(!line.due(ms(1199)));
        assert!(line.due(ms(1200)));
        let mut now = StatusLine::new(true, t0, Duration::ZERO);
        assert!(now.due(t0), "an override of 0 shows the line at once");
    }

    #[test]
    fn never_shown_when_stderr_is_not_a_terminal() {
        let t0 = Instant::now();
        let mut line = StatusLine::new(false, t0, Duration::ZERO);
        assert!(!line.due(t0 + Duration::from_secs(60)));
        let mut out = Vec::new();
        line.show(&mut out, || "loading".into());
        line.clear(&mut out);
        assert!(out.is_empty());
    }
}
