//! Command-line interface: clap types (stage one) and the options they validate into.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::Timestamp;

#[derive(Debug, Parser)]
#[command(
    name = "trustpath",
    version,
    about = "Blast radius and trust paths for compromised non-human identities",
    long_about = "trustpath loads identities, credentials, permissions and trust edges from exports \
(AWS IAM exports, native trustpath graph JSON, inventory and links CSV; more cloud, cluster and CI importers \
follow) into one \
graph, and answers the first questions of an incident: what can the attacker reach from this key, token \
or workload, and through which trust paths?\n\nWith no --input, the embedded sample incident is used \
(a compromised GitHub Action in acme/web's deploy workflow).",
    after_help = "Examples:\n  trustpath import sample-data/\n  trustpath blast -c github:action:tj-style/changed-files@v45\n  \
trustpath blast -c ci-deployer --format json --at 2026-01-01T00:00:00Z\n  trustpath path tj-style/changed-files@v45 admin --all --max 5\n  \
trustpath export --format dot -c tj-style/changed-files@v45 --blast-only > blast.dot\n\n\
Exit status: 0 success, 1 nothing found (no path), 2 error (bad input, unknown node)."
)]
pub struct Cli {
    /// Input file or directory (repeatable; directories are searched recursively; the
    /// format of each file is detected from its content). Default: the sample incident.
    #[arg(short, long = "input", value_name = "PATH", global = true)]
    pub inputs: Vec<PathBuf>,

    /// Evaluate as of this time (RFC 3339 like 2026-01-01T00:00:00Z, or a date like
    /// 2026-01-01 for midnight UTC). Expired and inactive credentials do not count.
    #[arg(long, value_name = "TIME", global = true, value_parser = parse_time)]
    pub at: Option<Timestamp>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load inputs and print what was read: nodes and edges by platform and kind, and
    /// every warning with its file and place.
    Import(ImportArgs),
    /// Everything reachable from the compromised set, with a witness path per node.
    Blast(BlastArgs),
    /// Witness paths from one node to another, with the reason for every hop.
    Path(PathArgs),
    /// Write the graph (or the blast radius) as DOT for Graphviz or as native JSON.
    Export(ExportArgs),
    /// Write a synthetic organisation as native JSON (for benchmarks).
    #[command(hide = true)]
    Gen(GenArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files or directories to load (added to any --input).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Also save the loaded graph as native JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub format: SummaryFormat,
}

#[derive(Debug, Args)]
pub struct BlastArgs {
    /// Compromised node: stable key, ARN or unambiguous name (repeatable). Default: the
    /// input's suggested compromised node, if it names one.
    #[arg(short, long = "compromised", value_name = "ID")]
    pub compromised: Vec<String>,
    #[arg(long, value_enum, default_value_t = BlastFormat::Text)]
    pub format: BlastFormat,
}

#[derive(Debug, Args)]
pub struct PathArgs {
    /// Where the attacker starts (key, ARN or unambiguous name).
    pub from: String,
    /// The target.
    pub to: String,
    /// List several simple paths, shortest first, not just one.
    #[arg(long)]
    pub all: bool,
    /// With --all: how many paths at most.
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub max: u16,
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub format: SummaryFormat,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value_t = ExportFormat::Dot)]
    pub format: ExportFormat,
    /// Highlight the blast radius of these compromised nodes (repeatable).
    #[arg(short, long = "compromised", value_name = "ID")]
    pub compromised: Vec<String>,
    /// Only the blast radius of -c and the edges inside it.
    #[arg(long, requires = "compromised")]
    pub blast_only: bool,
}

#[derive(Debug, Args)]
pub struct GenArgs {
    /// Number of nodes.
    #[arg(long, default_value_t = 10_000)]
    pub nodes: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output file (default: stdout).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BlastFormat {
    Text,
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Dot,
    Json,
}

fn parse_time(s: &str) -> Result<Timestamp, String> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts);
    }
    // A bare date means midnight UTC. A date-time without an offset is refused rather
    // than guessed: an hour's error decides whether a key had expired.
    let bare_date = s.len() == 10 && s.as_bytes().get(4) == Some(&b'-');
    match s.parse::<jiff::civil::Date>() {
        Ok(date) if bare_date => date
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|e| e.to_string()),
        Ok(_) => Err(format!(
            "'{s}' has no UTC offset: add Z or one like +02:00 (2026-01-01T15:30:00Z)"
        )),
        Err(_) => Err(format!(
            "'{s}' is not a time (use 2026-01-01T00:00:00Z, or 2026-01-01 for midnight UTC)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn times_parse_as_rfc3339_or_date() {
        assert_eq!(parse_time("2026-01-01"), parse_time("2026-01-01T00:00:00Z"));
        assert!(parse_time("yesterday").is_err());
        let no_offset = parse_time("2026-01-01T15:30:00").expect_err("no offset");
        assert!(no_offset.contains("no UTC offset"), "{no_offset}");
        assert_eq!(
            parse_time("2026-01-01T15:30:00+02:00"),
            parse_time("2026-01-01T13:30:00Z")
        );
    }

    #[test]
    fn blast_only_needs_compromised() {
        assert!(Cli::try_parse_from(["trustpath", "export", "--blast-only"]).is_err());
        let cli = Cli::try_parse_from([
            "trustpath",
            "-i",
            "x",
            "blast",
            "-c",
            "a",
            "-c",
            "b",
            "--format",
            "csv",
        ])
        .expect("valid");
        let Some(Command::Blast(b)) = cli.command else {
            panic!("blast")
        };
        assert_eq!(b.compromised, ["a", "b"]);
        assert_eq!(b.format, BlastFormat::Csv);
    }
}
