//! The `trustpath` binary: parse arguments, run, map the outcome to an exit status
//! (0 ok, 1 nothing found, 2 error). A closed pipe (`trustpath … | head`) is not an error.

use std::io::{self, ErrorKind, Write};
use std::process::ExitCode;

use clap::Parser;
use trustpath::app::{self, Error, Outcome};
use trustpath::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (stdout, stderr) = (io::stdout(), io::stderr());
    let mut out = io::BufWriter::new(stdout.lock());
    let result = app::run(cli, &mut out, &mut stderr.lock());
    drop(out);
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::NothingFound) => ExitCode::from(1),
        Err(Error::Io(e)) if e.kind() == ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            // Errors quote names from the inputs: no escape sequence reaches the terminal.
            // A closed stderr is no reason to panic.
            let message = trustpath::report::clean_message(&e.to_string());
            let _ = writeln!(io::stderr(), "error: {message}");
            ExitCode::from(2)
        }
    }
}
