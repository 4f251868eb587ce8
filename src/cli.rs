//! Command-line interface: clap types (stage one) and the options they validate into.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::Timestamp;

#[derive(Debug, Parser)]
#[command(
    name = "trustpath",
    version,
    about = "Blast radius, trust paths and revocation plans for compromised non-human identities",
    long_about = "trustpath loads identities, credentials, permissions and trust edges from exports \
(AWS IAM, GitHub Actions workflows and `gh api` listings, Kubernetes, GCP, Azure / Entra, Vault, SPIRE, X.509 \
certificates, SSH keys, native trustpath graph JSON, inventory and links CSV) into one graph, and answers the first questions of an incident: what can the attacker reach from \
this key, token or workload, through which trust paths, and what should be revoked first?\n\nWith no --input, the embedded sample incident is used \
(a compromised GitHub Action in acme/web's deploy workflow).",
    after_help = "Examples:\n  trustpath import sample-data/\n  trustpath blast -c github:action:tj-style/changed-files@v45\n  \
trustpath plan -c tj-style/changed-files@v45 --format markdown > ticket.md\n  \
trustpath plan --format json > plan.json && trustpath blast --apply-plan plan.json --steps 1-3\n  \
trustpath blast -c ci-deployer --format json --at 2026-01-01T00:00:00Z\n  trustpath path tj-style/changed-files@v45 admin --all --max 5\n  \
trustpath exposure arn:aws:s3:::acme-customer-data --format json > exposure.json\n  \
trustpath export --format dot -c tj-style/changed-files@v45 --blast-only > blast.dot\n\n\
Exit status: 0 success, 1 nothing found (no path, nobody exposed), 2 error (bad input, unknown node).\n\n\
Environment: TRUSTPATH_CONFIG (TUI key map file), NO_COLOR, TRUSTPATH_TIMINGS=1 (load, analysis and output \
times and peak memory on stderr), TRUSTPATH_PROGRESS_AFTER_MS (progress on a terminal after this many ms; 1000), \
TRUSTPATH_NO_MMAP=1 (read large native graph files and snapshots without memory-mapping them)."
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

    /// Compromised node: stable key, ARN, unambiguous name, or a credential's own id
    /// (an access key id, a GCP key id). Repeatable. Used by the TUI, blast, plan and
    /// export; default: the input's suggested compromised node, and with none the TUI
    /// opens on a picker.
    #[arg(short, long = "compromised", value_name = "ID", global = true)]
    pub compromised: Vec<String>,

    /// The most one input file (or pipe) may hold, in bytes or with a K, M or G suffix;
    /// a larger one is an error naming it. Default 16G.
    #[arg(long, value_name = "SIZE", global = true, value_parser = parse_size)]
    pub max_input_size: Option<u64>,

    /// The cluster every Kubernetes export describes (keys `k8s:NAME:…`, `kubectl
    /// --context NAME` in plans). Default: the name of the directory holding each export
    /// (`exports/prod/pods.json` is cluster `prod`).
    #[arg(long, value_name = "NAME", global = true)]
    pub cluster: Option<String>,

    /// Open a saved incident (its compromised set, steps done and notes) in the TUI; when
    /// stdout is not a terminal, print its plan. Incidents are saved from the TUI with `s`.
    #[arg(long, value_name = "NAME")]
    pub incident: Option<String>,

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
    /// Ranked revocation plan: what to revoke first, what each step breaks, the commands.
    #[command(long_about = PLAN_ABOUT, after_help = PLAN_EXAMPLES)]
    Plan(PlanArgs),
    /// Who can reach a node (the blast radius read backwards), ranked by how easily an
    /// attacker holds each one, with witness paths.
    #[command(long_about = EXPOSURE_ABOUT, after_help = EXPOSURE_EXAMPLES)]
    Exposure(ExposureArgs),
    /// Hygiene findings mapped to the OWASP NHI Top 10 (2025), each weighed by whether it
    /// leads to a crown jewel, with the revocation actions that fix it.
    #[command(long_about = AUDIT_ABOUT)]
    Audit(AuditArgs),
    /// Between incidents: the cheapest changes that cut every path from what outsiders
    /// hold (public trusts, third-party code, old keys) to the crown jewels.
    #[command(long_about = HARDEN_ABOUT, after_help = HARDEN_EXAMPLES)]
    Harden(HardenArgs),
    /// Witness paths from one node to another, with the reason for every hop.
    Path(PathArgs),
    /// Write the graph (or the blast radius) as DOT for Graphviz, native JSON, GraphML
    /// for Gephi, yEd, networkx and igraph, BloodHound OpenGraph, CSV for Neo4j's bulk
    /// importer, or a Cypher script for Neo4j, Memgraph and FalkorDB.
    #[command(after_help = EXPORT_EXAMPLES)]
    Export(ExportArgs),
    /// Write a synthetic organisation as native JSON, for benchmarks and demos
    /// (deterministic: the same --nodes and --seed give the same bytes).
    #[command(long_about = GEN_ABOUT, after_help = GEN_EXAMPLES)]
    Gen(GenArgs),
    /// Print the shell completion script for bash, zsh, fish, PowerShell or elvish.
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write one page per command into a directory.
    #[command(after_help = MAN_EXAMPLES)]
    Man(ManArgs),
}

const EXPORT_EXAMPLES: &str = "Examples:\n  \
trustpath export -c tj-style/changed-files@v45 --blast-only > blast.dot\n  \
trustpath export --format graphml > acme.graphml     # Gephi, yEd, nx.read_graphml\n  \
trustpath export --format opengraph > acme.json      # BloodHound CE: File Ingest\n  \
trustpath export --format neo4j-csv --output neo4j/  # prints the neo4j-admin command\n  \
trustpath export --format cypher > acme.cypher && cypher-shell -f acme.cypher\n  \
trustpath export --format cypher --dialect memgraph > acme.cypher && mgconsole < acme.cypher\n\n\
OpenGraph holds only the edges an attacker can use as of --at, as BloodHound follows every \
edge; the other formats hold every edge with `dormant`, and every node with `usable`, to filter on.";

const COMPLETIONS_EXAMPLES: &str = "Examples:\n  \
trustpath completions bash > ~/.local/share/bash-completion/completions/trustpath\n  \
trustpath completions zsh > ~/.zfunc/_trustpath      # with fpath+=(~/.zfunc) before compinit\n  \
trustpath completions fish > ~/.config/fish/completions/trustpath.fish\n  \
trustpath completions powershell >> $PROFILE";

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

const MAN_EXAMPLES: &str = "Examples:\n  trustpath man | man -l -\n  \
trustpath man --dir ~/.local/share/man/man1 && man trustpath-plan";

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write trustpath.1 and a page per command (trustpath-plan.1, …) into DIR instead.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files or directories to load (added to any --input).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Also save the loaded graph to FILE: a binary snapshot when FILE ends in `.tpsnap`
    /// (every later command and the TUI open it in a fraction of the time: `-i
    /// FILE.tpsnap`), native JSON otherwise.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub format: SummaryFormat,
}

#[derive(Debug, Args)]
pub struct BlastArgs {
    #[arg(long, value_enum, default_value_t = BlastFormat::Text)]
    pub format: BlastFormat,
    /// JSON and CSV: the whole witness path of every reached node, not only of crown
    /// jewels and admins (each node always names the hop it is reached by; the output
    /// grows with the depth of the graph times its size).
    #[arg(long)]
    pub paths: bool,
    /// A plan written by `trustpath plan --format json`: show what stays reachable once its
    /// steps are done (from the footholds the plan assumes).
    #[arg(long, value_name = "FILE")]
    pub apply_plan: Option<PathBuf>,
    /// Which steps of --apply-plan are done, by rank: `1-5`, `3`, `1-3,7` (default: all).
    #[arg(long, value_name = "RANKS", requires = "apply_plan", value_parser = parse_ranks)]
    pub steps: Option<Ranks>,
}

const PLAN_ABOUT: &str = "Ranked revocation plan for a compromise.

The attacker is assumed to have had dwell time: besides the compromised set, every credential \
and identity they reached is a foothold (a copied key, a minted session). The plan is complete \
when no crown jewel (criticality >= 8) is reachable from the footholds left. Steps come in \
phases: contain (neutralize the compromised set), cut (the cheapest complete set of revocations \
found, single points of failure first), rotate (every other exposed credential and secret, at \
its issuer; recommended) and verify (per-platform checks for persistence).

Each step's cost is the action's base cost plus its collateral: the criticality of the \
legitimate identities and workloads that lose access. The plan names the owner, whether tokens \
already issued die with the step, whether it can be undone, and the reach before and after it.

Check a plan with `trustpath blast --apply-plan plan.json [--steps 1-5]`.";

const PLAN_EXAMPLES: &str = "Examples:
  trustpath plan -c tj-style/changed-files@v45
  trustpath plan --format markdown > ticket.md
  trustpath plan --protect arn:aws:iam::111122223333:role/admin --budget 60
  trustpath plan --format json > plan.json && trustpath blast --apply-plan plan.json --steps 1-5";

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// text: a runbook; markdown: a task list for the incident ticket; json:
    /// trustpath/plan/v1 (what --apply-plan reads); csv: one row per step.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    #[command(flatten)]
    pub limits: PlanLimits,
}

/// What `plan` and `harden` may touch and spend.
#[derive(Debug, Args)]
pub struct PlanLimits {
    /// Never disable, cut or detach anything of this node (break-glass roles, the identity
    /// provider); the plan cuts around it. Ending its sessions stays allowed (repeatable).
    #[arg(long, value_name = "ID")]
    pub protect: Vec<String>,
    /// The most the required steps may cost: the plan keeps steps in rank order while they
    /// fit and says what stays reachable.
    #[arg(long, value_name = "COST")]
    pub budget: Option<u64>,
}

/// Step ranks chosen with `--steps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranks(pub Vec<(usize, usize)>);

impl Ranks {
    pub fn contains(&self, rank: usize) -> bool {
        self.0.iter().any(|&(a, b)| (a..=b).contains(&rank))
    }
}

fn parse_ranks(s: &str) -> Result<Ranks, String> {
    let bad = || format!("`{s}` is not a list of step ranks such as `1-5`, `3` or `1-3,7`");
    let mut out = Vec::new();
    for part in s.split(',') {
        let part = part.trim();
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let a: usize = a.trim().parse().map_err(|_| bad())?;
        let b: usize = b.trim().parse().map_err(|_| bad())?;
        if a == 0 || b < a {
            return Err(bad());
        }
        out.push((a, b));
    }
    Ok(Ranks(out))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Markdown,
    Json,
    Csv,
}

const EXPOSURE_ABOUT: &str =
    "Who can reach the targets: every node whose own blast radius holds one \
of them, over the same edges a blast radius follows (dormant edges and dead or expired credentials \
are not used; edges with unevaluated conditions are, and what needs them is marked conditional).

Holders are ranked by how easily an attacker holds them: public (anyone on the internet: \
github:any-user, aws:anyone, gcp:any-user, …), third party (actions and apps another organisation \
controls), long-lived credentials (oldest first), CI jobs, other workloads, people, then the \
identities in between. Each names the first hop of its shortest witness path to a target \
(unconditional whenever one exists); public, third-party and conditional holders get the whole \
path (the first 1000 of them; --paths: everyone).

Exit status 1 when nothing can reach the targets.";

const EXPOSURE_EXAMPLES: &str = "Examples:
  trustpath exposure arn:aws:iam::111122223333:role/admin
  trustpath exposure arn:aws:s3:::acme-customer-data --format json > exposure.json
  trustpath exposure acme-customer-data --format csv --paths > holders.csv
  trustpath exposure acme-customer-data --format dot | dot -Tsvg > exposure.svg
  trustpath exposure acme-customer-data --at 2025-06-01   # as of a date: keys expired since then count";

const AUDIT_ABOUT: &str = "Hygiene findings mapped to the OWASP Top 10 for Non-Human Identities (2025), \
each weighed by whether it leads to a crown jewel (criticality >= 8), with the ids of the revocation \
actions that fix it (as `plan` lists them).

Rules (each finding's id names its rule, e.g. NHI7:unrotated:KEY):
  NHI1  usable credentials unused for --unused-after days; service accounts and roles with no owner \
that are admin or reach a crown jewel
  NHI2  secrets readable by --shared-by identities or more; a credential stored on several platforms
  NHI3  third-party code or apps that can reach a crown jewel (high under a mutable pin, low pinned \
to a commit)
  NHI4  client secrets and passwords as credentials; bearer tokens and secret ids that do not \
expire within 90 days (legacy service-account tokens, Vault tokens, AppRole secret ids, personal \
access tokens, API keys); a long-lived key on an identity federation already reaches
  NHI5  admin-equivalent service accounts, roles and workloads; identities whose permissions escalate
  NHI6  trusts anyone on the internet satisfies (github:any-user, aws:anyone, …; medium when \
conditions apply, critical when they lead to a crown jewel)
  NHI7  long-lived credentials not rotated for --rotate-after days
  NHI8  usable edges from one environment into another (high into production); identities used \
from several environments (as the inputs or the inventory name them)
  NHI9  identities and credentials used by --shared-by workloads or more
  NHI10 people who can act as a service account or hold or read a credential, themselves or \
through a group (nested groups followed); identities a person signs in as (console password \
beside access keys)

Examples:
  trustpath audit
  trustpath audit --format json --rotate-after 365 > audit.json
  trustpath audit --format sarif > trustpath.sarif   # upload with github/codeql-action/upload-sarif
  trustpath audit --format markdown > audit.md       # a checklist for a ticket";

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    pub format: AuditFormat,
    /// A long-lived credential older than this many days (since creation or its last
    /// rotation) is a finding.
    #[arg(long, value_name = "DAYS", default_value_t = 90)]
    pub rotate_after: u32,
    /// A usable credential last used more than this many days ago is a finding.
    #[arg(long, value_name = "DAYS", default_value_t = 90)]
    pub unused_after: u32,
    /// A secret readable by this many identities and workloads (NHI2), or an identity
    /// or credential used by this many workloads (NHI9), is a finding (at least 2).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u32).range(2..))]
    pub shared_by: u32,
}

const HARDEN_ABOUT: &str = "Between incidents: the cheapest set of changes that cuts every path from \
what an outsider already holds to every crown jewel (criticality >= 8), as a runbook.

Entry points: public pseudo-nodes (anyone on the internet, any GitHub user or repository, any \
Google account), third-party code and apps (a `third_party` tag: GitHub actions of other owners, \
multi-tenant apps; not code pinned to a commit or digest, which its owner cannot change), and usable \
long-lived credentials whose secret is older than --older-than days. Only those that reach a crown \
jewel count; the runbook lists them.

The revocation engine of `plan` runs from them, without the incident's containment, dwell time, \
rotations and hunt: the same exact search (or greedy and minimum cut, with a max-flow lower bound \
beside the cost), the same step format, single points of failure first, then the most paths \
removed per unit of cost. --protect and --budget work as for `plan`.";

const HARDEN_EXAMPLES: &str = "Examples:
  trustpath harden
  trustpath harden --format markdown > hardening.md      # a task list for the backlog
  trustpath harden --budget 20                            # the most that 20 units of disruption buy
  trustpath harden --protect arn:aws:iam::111122223333:role/admin --format json > harden.json";

#[derive(Debug, Args)]
pub struct HardenArgs {
    /// text: a runbook; markdown: a task list; json: trustpath/harden/v1; csv: one row
    /// per step.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    #[command(flatten)]
    pub limits: PlanLimits,
    /// A usable long-lived credential whose secret (since creation or its last rotation)
    /// is older than this many days is an entry point.
    #[arg(long, value_name = "DAYS", default_value_t = 90)]
    pub older_than: u32,
}

#[derive(Debug, Args)]
pub struct ExposureArgs {
    /// The nodes to protect (keys, ARNs or unambiguous names); whoever reaches any of them
    /// is listed.
    #[arg(value_name = "TARGET", required = true)]
    pub targets: Vec<String>,
    #[arg(long, value_enum, default_value_t = ExposureFormat::Text)]
    pub format: ExposureFormat,
    /// JSON and CSV: the whole witness path of every holder, not only of the first 1000
    /// public, third-party and conditional ones (each holder always names its first hop;
    /// the output grows with the depth of the graph times its size).
    #[arg(long)]
    pub paths: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    Text,
    Markdown,
    Json,
    Csv,
    /// SARIF 2.1.0, for code-scanning UIs (GitHub code scanning, …).
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExposureFormat {
    Text,
    Json,
    Csv,
    Dot,
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
    /// With --all: how many edges the search may scan before it stops and says so
    /// (about a second of work by default; it also stops after 10 s).
    #[arg(long, default_value_t = crate::analysis::paths::DEFAULT_BUDGET, value_name = "EDGES")]
    pub max_work: usize,
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub format: SummaryFormat,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value_t = ExportFormat::Dot)]
    pub format: ExportFormat,
    /// Only the blast radius of -c (which the graph then highlights) and the edges inside it.
    // Checked when the command runs: clap's `requires` does not see a global -c given
    // before the command.
    #[arg(long)]
    pub blast_only: bool,
    /// The directory neo4j-csv writes nodes.csv and relationships.csv into (made if
    /// missing). Other formats write to stdout.
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// The engine a cypher export is for [default: neo4j].
    #[arg(long, value_enum)]
    pub dialect: Option<CypherDialect>,
}

const GEN_ABOUT: &str = "Write a synthetic organisation as native JSON, for benchmarks and demos.\n\n\
Teams of 1,000 nodes whose trust mostly stays inside the team, and a platform team whose groups and \
roles everyone uses and whose deploy roles control workloads in other teams. About five edges per node; \
group membership and role fan-in follow a Zipf law; a third of the workloads are GitHub Actions \
workflows federating into roles; secrets hold credentials (one in ten inactive, all dated: created \
within four years, half used since); a vendor's agent per team (third-party code under a mutable tag); \
five platforms; one admin role per team and crown jewels; revoke entries as the importers write them. \
`metadata.suggested_compromised` names a platform-team workflow whose blast radius is at least a tenth \
of the graph: commands given no -c use it.\n\n\
Deterministic: the same --nodes and --seed give the same bytes on every machine. Progress shows on \
stderr when it takes over a second and stderr is a terminal.";

const GEN_EXAMPLES: &str = "Examples:\n  trustpath gen --nodes 100000 -o org.json\n  \
trustpath -i org.json blast > /dev/null          # blast radius of the suggested compromise\n  \
trustpath -i org.json plan --format json > plan.json\n  \
trustpath gen --nodes 1000000 --seed 42 | gzip > org-1m.json.gz";

#[derive(Debug, Args)]
pub struct GenArgs {
    /// Number of nodes.
    #[arg(long, default_value_t = 10_000)]
    pub nodes: usize,
    /// Seed of the generator: another seed, another organisation of the same shape.
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
    /// Graphviz DOT.
    Dot,
    /// trustpath's native graph JSON (reads back with -i).
    Json,
    /// GraphML for Gephi, yEd, networkx and igraph.
    Graphml,
    /// BloodHound OpenGraph JSON (BloodHound CE's File Ingest).
    Opengraph,
    /// nodes.csv and relationships.csv for `neo4j-admin database import full`, into
    /// --output DIR.
    Neo4jCsv,
    /// An openCypher script (batched UNWIND … MERGE) for Neo4j's cypher-shell -f,
    /// Memgraph or FalkorDB: see --dialect.
    Cypher,
}

/// The graph database a Cypher export is written for: they differ in how an index or
/// uniqueness constraint is made and in which string escapes they read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CypherDialect {
    Neo4j,
    Memgraph,
    Falkordb,
}

fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, shift) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 10),
        Some((i, 'm' | 'M')) => (&t[..i], 20),
        Some((i, 'g' | 'G')) => (&t[..i], 30),
        _ => (t, 0),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("`{s}` is not a size such as 500M or 20G"))
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
    fn sizes_parse_with_suffixes() {
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("500M"), Ok(500 << 20));
        assert_eq!(parse_size("20g"), Ok(20 << 30));
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999G").is_err());
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
    fn compromised_is_global() {
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
        assert_eq!(cli.compromised, ["a", "b"]);
        assert_eq!(b.format, BlastFormat::Csv);
        // -c is global: before the command too, and with no command (the TUI).
        let cli = Cli::try_parse_from(["trustpath", "-c", "a", "-c", "b", "plan"]).expect("valid");
        assert_eq!(cli.compromised, ["a", "b"]);
        let cli = Cli::try_parse_from(["trustpath", "-i", "x", "-c", "AKIA1"]).expect("valid");
        assert!(cli.command.is_none());
        assert_eq!(cli.compromised, ["AKIA1"]);
        assert!(Cli::try_parse_from(["trustpath", "-c", "a", "export", "--blast-only"]).is_ok());
    }
}
