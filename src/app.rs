//! Runs a parsed command line: loads inputs, resolves names, runs the analysis and
//! writes the report. Everything is resolved before the first byte goes to stdout, so a
//! failing command never leaves half an output behind.

use std::fs;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::CommandFactory;
use jiff::Timestamp;

use crate::analysis::plan::{self, Plan, PlanOptions};
use crate::analysis::{Audit, BlastRadius, Exposure, Harden, paths};
use crate::cli::{
    AuditFormat, BlastFormat, Cli, Command, ExportFormat, ExposureFormat, PlanFormat, SummaryFormat,
};
use crate::import::{self, ImportError, Loaded, Progress};
use crate::model::{LookupError, NodeId, TrustGraph};
use crate::report::{self, dot::DotOptions};
use crate::status::StatusLine;

/// Errors a command ends with (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Lookup(#[from] LookupError),
    #[error("{0}")]
    Usage(String),
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// How a successful run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Done,
    /// Exit 1: the command ran but found nothing (no path).
    NothingFound,
}

/// Warnings shown on stderr before the rest are summarised as a count.
const WARNINGS_SHOWN: usize = 20;

pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<Outcome, Error> {
    // Whole seconds: nanoseconds in a report header help nobody.
    let at = cli.at.unwrap_or_else(|| {
        Timestamp::now()
            .round(jiff::Unit::Second)
            .unwrap_or_else(|_| Timestamp::now())
    });
    if let Some(bytes) = cli.max_input_size {
        import::set_max_input_size(bytes);
    }
    import::k8s::set_cluster_name(cli.cluster.clone());
    let mut inputs = cli.inputs;
    let command = match cli.command {
        Some(Command::Gen(args)) => return generate(&args, out, err),
        Some(Command::Completions(args)) => {
            let mut cli = Cli::command();
            clap_complete::generate(args.shell, &mut cli, "trustpath", out);
            return Ok(Outcome::Done);
        }
        Some(Command::Man(args)) => return manual(args.dir.as_deref(), out),
        Some(Command::Import(args)) => {
            inputs.extend(args.paths.iter().cloned());
            Some(Command::Import(args))
        }
        other => other,
    };
    // A usage error before a load that may take seconds.
    if let Some(Command::Export(args)) = &command {
        export_dir(args)?;
        cypher_dialect(args)?;
    }
    let started = Instant::now();
    let loaded = load(&inputs, at, err)?;
    let loading = started.elapsed();
    // `import` exists to show what was read: it lists every warning.
    let shown = match command {
        Some(Command::Import(_)) => usize::MAX,
        _ => WARNINGS_SHOWN,
    };
    report_warnings(&loaded, shown, err)?;
    let mut analysis = Duration::ZERO;
    let started = Instant::now();
    let given = Given {
        compromised: cli.compromised,
        incident: cli.incident,
    };
    let outcome = dispatch(command, &loaded, at, given, &mut analysis, out, err);
    // For side-by-side measurements (benches/side_by_side.sh): where the time went.
    if std::env::var_os("TRUSTPATH_TIMINGS").is_some() {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let peak =
            peak_memory_kib().map_or(String::new(), |kib| format!(" · peak {} MiB", kib / 1024));
        writeln!(
            err,
            "timings: load {:.1} ms · analysis {:.1} ms · output {:.1} ms{peak}",
            ms(loading),
            ms(analysis),
            ms(started.elapsed().saturating_sub(analysis))
        )?;
    }
    // Freeing millions of small allocations one by one takes longer than a blast radius;
    // the process is about to exit and the OS reclaims the memory at once.
    std::mem::forget(loaded);
    outcome
}

/// What the command line says about the incident, whatever the command.
struct Given {
    /// `-c` arguments, unresolved.
    compromised: Vec<String>,
    /// `--incident NAME`.
    incident: Option<String>,
}

fn dispatch(
    command: Option<Command>,
    loaded: &Loaded,
    at: Timestamp,
    given: Given,
    analysis: &mut Duration,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, Error> {
    let graph = &loaded.graph;
    match command {
        Some(Command::Import(args)) => {
            if let Some(path) = &args.save {
                save_graph(path, loaded)?;
            }
            match args.format {
                SummaryFormat::Text => report::text::write_import(out, loaded)?,
                SummaryFormat::Json => report::json::write_import(out, loaded)?,
            }
            if let Some(path) = &args.save {
                writeln!(err, "saved the graph to {}", path.display())?;
            }
        }
        Some(Command::Blast(args)) => {
            let blast = match &args.apply_plan {
                Some(path) => residual(graph, &args, &given.compromised, path, at, err)?,
                None => {
                    let compromised = compromised_set(graph, &given.compromised, err)?;
                    let t = Instant::now();
                    let blast = BlastRadius::compute(graph, &compromised, at);
                    *analysis = t.elapsed();
                    blast
                }
            };
            match args.format {
                BlastFormat::Text => report::text::write_blast(out, graph, &blast)?,
                BlastFormat::Json => report::json::write_blast(out, graph, &blast, args.paths)?,
                BlastFormat::Csv => report::csv::write_blast(out, graph, &blast, args.paths)?,
            }
        }
        Some(Command::Plan(args)) => {
            let compromised = compromised_set(graph, &given.compromised, err)?;
            let opts = plan_options(graph, &args.limits, at)?;
            let t = Instant::now();
            let plan = Plan::compute(graph, &compromised, &opts);
            *analysis = t.elapsed();
            write_plan(out, graph, &plan, args.format)?;
        }
        Some(Command::Harden(args)) => {
            if !given.compromised.is_empty() {
                writeln!(
                    err,
                    "note: harden starts from what outsiders hold, not from -c (that is `trustpath plan`)"
                )?;
            }
            let opts = plan_options(graph, &args.limits, at)?;
            let t = Instant::now();
            let harden = Harden::compute(graph, &opts, args.older_than);
            *analysis = t.elapsed();
            let doc = report::plan::PlanOut::harden(graph, &harden);
            write_plan_doc(out, &doc, args.format)?;
        }
        Some(Command::Exposure(args)) => {
            let targets = args
                .targets
                .iter()
                .map(|q| graph.resolve(q).map_err(Error::from))
                .collect::<Result<Vec<_>, _>>()?;
            let t = Instant::now();
            let exposure = Exposure::compute(graph, &targets, at);
            *analysis = t.elapsed();
            match args.format {
                ExposureFormat::Text => report::exposure::write_text(out, graph, &exposure)?,
                ExposureFormat::Json => {
                    report::exposure::write_json(out, graph, &exposure, args.paths)?;
                }
                ExposureFormat::Csv => {
                    report::exposure::write_csv(out, graph, &exposure, args.paths)?;
                }
                ExposureFormat::Dot => report::exposure::write_dot(out, graph, &exposure)?,
            }
            if exposure.holders.is_empty() {
                out.flush()?;
                return Ok(Outcome::NothingFound);
            }
        }
        Some(Command::Audit(args)) => {
            let thresholds = crate::analysis::audit::Thresholds {
                rotate_after_days: args.rotate_after,
                unused_after_days: args.unused_after,
                shared_by: args.shared_by,
            };
            let t = Instant::now();
            let audit = Audit::run(graph, at, thresholds);
            *analysis = t.elapsed();
            match args.format {
                AuditFormat::Text => report::audit::write_text(out, graph, &audit)?,
                AuditFormat::Markdown => report::audit::write_markdown(out, graph, &audit)?,
                AuditFormat::Json => report::audit::write_json(out, graph, &audit)?,
                AuditFormat::Csv => report::audit::write_csv(out, graph, &audit)?,
                AuditFormat::Sarif => report::audit::write_sarif(out, graph, &audit)?,
            }
        }
        Some(Command::Path(args)) => {
            let (from, to) = (graph.resolve(&args.from)?, graph.resolve(&args.to)?);
            if from == to {
                return Err(Error::Usage(format!(
                    "FROM and TO are the same node ({}); a path needs two",
                    graph.key(from)
                )));
            }
            let t = Instant::now();
            let found = if args.all {
                paths::k_shortest(graph, from, to, at, usize::from(args.max), args.max_work)
            } else {
                paths::Paths {
                    paths: paths::shortest(graph, from, to, at).into_iter().collect(),
                    ..paths::Paths::default()
                }
            };
            *analysis = t.elapsed();
            match args.format {
                SummaryFormat::Text => report::text::write_paths(out, graph, (from, to), &found)?,
                SummaryFormat::Json => {
                    report::json::write_paths(out, graph, (from, to), &found, at)?;
                }
            }
            if found.paths.is_empty() {
                out.flush()?;
                return Ok(Outcome::NothingFound);
            }
        }
        Some(Command::Export(args)) => {
            if args.blast_only && given.compromised.is_empty() {
                return Err(Error::Usage(
                    "--blast-only needs the compromised set: add -c ID".into(),
                ));
            }
            let blast = if given.compromised.is_empty() {
                None
            } else {
                let compromised = compromised_set(graph, &given.compromised, err)?;
                Some(BlastRadius::compute(graph, &compromised, at))
            };
            let keep =
                |n: NodeId| !args.blast_only || blast.as_ref().is_some_and(|b| b.contains(n));
            match args.format {
                ExportFormat::Dot => {
                    let opts = DotOptions {
                        blast: blast.as_ref(),
                        blast_only: args.blast_only,
                        marks: None,
                    };
                    report::dot::write_dot(out, graph, &opts)?;
                }
                ExportFormat::Graphml => {
                    let opts = report::graphml::GraphmlOptions {
                        at,
                        blast: blast.as_ref(),
                        blast_only: args.blast_only,
                    };
                    report::graphml::write_graphml(out, graph, &opts)?;
                }
                ExportFormat::Json => report::json::write_graph(out, graph, &keep)?,
                ExportFormat::Opengraph => {
                    report::opengraph::write_opengraph(out, graph, &keep, at)?;
                }
                ExportFormat::Neo4jCsv => {
                    if let Some(dir) = export_dir(&args)? {
                        neo4j_csv(dir, graph, &keep, at, out)?;
                    }
                }
                ExportFormat::Cypher => {
                    let opts = report::cypher::CypherOptions {
                        dialect: cypher_dialect(&args)?,
                        at,
                        blast: blast.as_ref(),
                        batch: 1000,
                    };
                    let written = report::cypher::write_cypher(out, graph, &keep, &opts)?;
                    if written.altered_keys > 0 {
                        writeln!(
                            err,
                            "warning: {} node keys hold control, line-separator or direction \
                             characters, which a FalkorDB script cannot carry: they are written as \
                             U+FFFD, so keys that differ only there load as one node",
                            written.altered_keys
                        )?;
                    }
                }
            }
        }
        Some(Command::Gen(_) | Command::Completions(_) | Command::Man(_)) => {
            unreachable!("they run before inputs load")
        }
        None => {
            // On a terminal: the TUI. Piped or redirected: the plan for `-c`, the saved
            // incident's compromised set or the input's suggestion, so `trustpath >
            // plan.txt` does what it says.
            if given.incident.is_some() && !given.compromised.is_empty() {
                return Err(Error::Usage(
                    "--incident and -c both name the compromised set: give one (mark more nodes in the TUI with c)".into(),
                ));
            }
            let settings =
                crate::tui::Settings::discover(given.incident.clone()).map_err(Error::Usage)?;
            let terminal = io::stdout().is_terminal() && io::stdin().is_terminal();
            let compromised = match (&given.incident, &settings.data_dir) {
                (Some(name), Some(dir)) => {
                    let saved = crate::tui::load_incident(dir, name).map_err(Error::Usage)?;
                    saved
                        .compromised
                        .iter()
                        .map(|k| graph.resolve(k).map_err(Error::from))
                        .collect::<Result<Vec<_>, _>>()?
                }
                (Some(_), None) => {
                    return Err(Error::Usage(
                        "--incident needs a data directory, and this system has none".into(),
                    ));
                }
                // The TUI opens on a picker when nothing names the compromise.
                (None, _)
                    if terminal && given.compromised.is_empty() && suggested(graph).is_none() =>
                {
                    Vec::new()
                }
                (None, _) => compromised_set(graph, &given.compromised, err)?,
            };
            if terminal {
                crate::tui::run(graph, compromised, at, settings)?;
                return Ok(Outcome::Done);
            }
            let plan = Plan::compute(graph, &compromised, &PlanOptions::new(at));
            write_plan(out, graph, &plan, PlanFormat::Text)?;
            writeln!(
                err,
                "\nRun `trustpath --help` for the commands: import, blast, plan, exposure, audit, harden, path, export."
            )?;
        }
    }
    out.flush()?;
    Ok(Outcome::Done)
}

/// The options `--protect` and `--budget` ask for, the protected nodes resolved.
fn plan_options(
    graph: &TrustGraph,
    limits: &crate::cli::PlanLimits,
    at: Timestamp,
) -> Result<PlanOptions, Error> {
    let protect = limits
        .protect
        .iter()
        .map(|q| graph.resolve(q).map_err(Error::from))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PlanOptions {
        protect,
        budget: limits.budget,
        ..PlanOptions::new(at)
    })
}

fn write_plan(
    out: &mut dyn Write,
    graph: &TrustGraph,
    plan: &Plan,
    format: PlanFormat,
) -> io::Result<()> {
    write_plan_doc(out, &report::plan::PlanOut::new(graph, plan), format)
}

fn write_plan_doc(
    out: &mut dyn Write,
    doc: &report::plan::PlanOut<'_>,
    format: PlanFormat,
) -> io::Result<()> {
    match format {
        PlanFormat::Text => report::plan::write_text(out, doc),
        PlanFormat::Markdown => report::plan::write_markdown(out, doc),
        PlanFormat::Json => report::plan::write_json(out, doc),
        PlanFormat::Csv => report::plan::write_csv(out, doc),
    }
}

/// The part of a saved plan `blast --apply-plan` reads.
#[derive(serde::Deserialize)]
struct SavedPlan {
    schema: String,
    /// Absent from a hardening plan, which is refused by its schema first.
    #[serde(default)]
    compromised: Vec<String>,
    steps: Vec<SavedStep>,
}

#[derive(serde::Deserialize)]
struct SavedStep {
    rank: usize,
    id: String,
    target: String,
}

/// The blast radius left once the chosen steps of a saved plan are done.
fn residual(
    graph: &TrustGraph,
    args: &crate::cli::BlastArgs,
    given: &[String],
    path: &PathBuf,
    at: Timestamp,
    err: &mut dyn Write,
) -> Result<BlastRadius, Error> {
    let bad = |why: String| Error::Usage(format!("{}: {why}", path.display()));
    let text = fs::read_to_string(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
    let saved: SavedPlan = serde_json::from_str(&text).map_err(|e| {
        bad(format!(
            "not a plan written by `trustpath plan --format json` (line {}, column {}: {e})",
            e.line(),
            e.column()
        ))
    })?;
    if saved.schema == "trustpath/harden/v1" {
        return Err(bad(
            "a hardening plan (`trustpath harden`): --apply-plan takes an incident's plan (`trustpath plan --format json`)"
                .into(),
        ));
    }
    if saved.schema != "trustpath/plan/v1" {
        return Err(bad(format!(
            "schema is `{}`, expected trustpath/plan/v1",
            saved.schema
        )));
    }
    let compromised = if given.is_empty() {
        saved
            .compromised
            .iter()
            .map(|k| graph.resolve(k).map_err(Error::from))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        compromised_set(graph, given, err)?
    };
    let chosen: Vec<(String, Option<NodeId>)> = saved
        .steps
        .iter()
        .filter(|s| args.steps.as_ref().is_none_or(|r| r.contains(s.rank)))
        .map(|s| (s.id.clone(), graph.find(&s.target)))
        .collect();
    if let Some(ranks) = &args.steps {
        let max = saved.steps.iter().map(|s| s.rank).max().unwrap_or(0);
        if let Some(&(_, b)) = ranks.0.iter().find(|&&(_, b)| b > max) {
            return Err(bad(format!(
                "--steps names step {b}, but the plan has {max} steps"
            )));
        }
    }
    let (footholds, removed) = plan::apply(graph, &compromised, at, &chosen)
        .map_err(bad)?
        .residual(graph);
    writeln!(
        err,
        "applied {} of the plan's {} steps: {} footholds remain",
        chosen.len(),
        saved.steps.len(),
        footholds.len()
    )?;
    Ok(BlastRadius::compute_without(
        graph,
        &footholds,
        at,
        Some(&removed),
    ))
}

/// The directory an export writes into: neo4j-csv's, which needs one; `None` for the
/// formats that write to stdout, which take none.
fn export_dir(args: &crate::cli::ExportArgs) -> Result<Option<&std::path::Path>, Error> {
    match (&args.output, args.format) {
        (Some(dir), ExportFormat::Neo4jCsv) => Ok(Some(dir)),
        (None, ExportFormat::Neo4jCsv) => Err(Error::Usage(
            "neo4j-csv writes two files: give the directory with --output DIR".into(),
        )),
        (Some(_), _) => Err(Error::Usage(
            "--output DIR goes with --format neo4j-csv; other formats write to stdout: redirect it with >".into(),
        )),
        (None, _) => Ok(None),
    }
}

/// The engine a Cypher export is for (Neo4j unless told); `--dialect` with another format
/// is a usage error rather than ignored.
fn cypher_dialect(args: &crate::cli::ExportArgs) -> Result<report::cypher::Dialect, Error> {
    use crate::cli::CypherDialect as Given;
    use report::cypher::Dialect;
    match (args.dialect, args.format) {
        (Some(_), format) if format != ExportFormat::Cypher => {
            Err(Error::Usage("--dialect goes with --format cypher".into()))
        }
        (None | Some(Given::Neo4j), _) => Ok(Dialect::Neo4j),
        (Some(Given::Memgraph), _) => Ok(Dialect::Memgraph),
        (Some(Given::Falkordb), _) => Ok(Dialect::Falkordb),
    }
}

/// `export --format neo4j-csv`: both files into `dir`, each written whole or not at all,
/// then the command that loads them.
fn neo4j_csv(
    dir: &std::path::Path,
    graph: &TrustGraph,
    keep: &dyn Fn(NodeId) -> bool,
    at: Timestamp,
    out: &mut dyn Write,
) -> Result<(), Error> {
    let failed = |path: &std::path::Path| {
        let path = path.to_path_buf();
        move |source| Error::Write { path, source }
    };
    fs::create_dir_all(dir).map_err(failed(dir))?;
    let (nodes, relationships) = (dir.join("nodes.csv"), dir.join("relationships.csv"));
    crate::atomic::write(&nodes, |w| report::neo4j::write_nodes(w, graph, keep, at))
        .map_err(failed(&nodes))?;
    crate::atomic::write(&relationships, |w| {
        report::neo4j::write_relationships(w, graph, keep)
    })
    .map_err(failed(&relationships))?;
    let path = |p: &std::path::Path| crate::shell::quote(&p.to_string_lossy());
    writeln!(
        out,
        "wrote {} and {}
load them into an empty database (Neo4j stopped) with:
  neo4j-admin database import full --nodes={} --relationships={} --multiline-fields=true neo4j",
        report::clean(&nodes.to_string_lossy()),
        report::clean(&relationships.to_string_lossy()),
        path(&nodes),
        path(&relationships),
    )?;
    Ok(())
}

/// `trustpath man`: the page of the whole tool on `out`, or every page into `dir`.
fn manual(dir: Option<&std::path::Path>, out: &mut dyn Write) -> Result<Outcome, Error> {
    let cli = Cli::command();
    match dir {
        Some(dir) => {
            clap_mangen::generate_to(cli, dir).map_err(|source| Error::Write {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        None => clap_mangen::Man::new(cli).render(out)?,
    }
    Ok(Outcome::Done)
}

fn generate(
    args: &crate::cli::GenArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, Error> {
    let mut status = StatusLine::stderr();
    let mut progress = |done: usize, total: usize| {
        status.show(err, || {
            format!(
                "generating: {}%",
                (done * 100).checked_div(total).unwrap_or(100)
            )
        });
    };
    let mut write = |w: &mut dyn Write| -> io::Result<()> {
        crate::synth::generate_with(w, args.nodes, args.seed, &mut progress)?;
        w.flush()
    };
    match &args.output {
        // Atomically, like every file trustpath writes: an interrupted run leaves no
        // half-written organisation behind, and nothing planted beside it is followed.
        Some(path) => crate::atomic::write(path, |w| write(w)).map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?,
        None => write(out)?,
    }
    status.clear(err);
    Ok(Outcome::Done)
}

/// Loads `--input` paths, or the embedded sample incident when none are given. A load
/// that takes more than a second shows progress on stderr when it is a terminal.
fn load(inputs: &[PathBuf], at: Timestamp, err: &mut dyn Write) -> Result<Loaded, ImportError> {
    if inputs.is_empty() {
        return import::load_sample_at(at);
    }
    let mut status = StatusLine::stderr();
    let mut show = |p: Progress<'_>| {
        status.show(err, || match p {
            Progress::Reading { file, done, total } => format!(
                "loading {}: {} of {} MB ({}%)",
                report::clean(file),
                done >> 20,
                total >> 20,
                (done * 100).checked_div(total).unwrap_or(100)
            ),
            Progress::Linking => "linking and indexing…".to_string(),
        });
    };
    let loaded = import::load_paths_with(inputs, at, &mut show);
    status.clear(err);
    loaded
}

/// Reports up to `shown` load warnings on stderr.
fn report_warnings(loaded: &Loaded, shown: usize, err: &mut dyn Write) -> io::Result<()> {
    for w in loaded.warnings.iter().take(shown) {
        writeln!(err, "warning: {}", report::clean_message(&w.to_string()))?;
    }
    if loaded.warnings.len() > shown {
        writeln!(
            err,
            "warning: … and {} more (trustpath import lists them all)",
            loaded.warnings.len() - shown
        )?;
    }
    Ok(())
}

/// The process's peak resident memory so far (Linux: `VmHWM`; elsewhere unknown).
fn peak_memory_kib() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resolves `-c` arguments, falling back to the input's `suggested_compromised`.
fn compromised_set(
    graph: &TrustGraph,
    given: &[String],
    err: &mut dyn Write,
) -> Result<Vec<NodeId>, Error> {
    if !given.is_empty() {
        return given
            .iter()
            .map(|q| graph.resolve(q).map_err(Error::from))
            .collect();
    }
    match suggested(graph) {
        Some(key) => {
            writeln!(
                err,
                "compromised: {} (the input's suggested_compromised; use -c to choose)",
                report::clean(key)
            )?;
            Ok(vec![graph.resolve(key)?])
        }
        None => Err(Error::Usage(
            "no compromised node given, and the input suggests none: add -c ID (a key, ARN, \
             unambiguous name or credential id; `trustpath import` lists what was loaded), or run \
             `trustpath -i PATH` on a terminal to pick it in the TUI"
                .into(),
        )),
    }
}

/// The input's `metadata.suggested_compromised`, if it names one.
fn suggested(graph: &TrustGraph) -> Option<&str> {
    graph
        .metadata()
        .get("suggested_compromised")
        .and_then(|v| v.as_str())
}

fn save_graph(path: &std::path::Path, loaded: &Loaded) -> Result<(), Error> {
    let snapshot = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(import::snapshot::EXTENSION));
    // A crash never leaves half a graph, and nothing planted beside it is followed.
    crate::atomic::write(path, |w| {
        if snapshot {
            import::snapshot::write(w, &loaded.graph, &loaded.warnings)
        } else {
            report::json::write_graph(w, &loaded.graph, &|_| true)
        }
    })
    .map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}
