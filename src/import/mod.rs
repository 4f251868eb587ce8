//! Loading inputs into a [`TrustGraph`]: walking paths, detecting formats, reading each
//! file with its importer, then resolving cross-file references and applying overlays.

mod detect;
mod error;
mod inventory;
mod links;
pub mod native;
mod progress;
mod table;

use std::borrow::Cow;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

pub use detect::{Format, detect};
pub use error::{ImportError, Warning};
pub use progress::Progress;

use crate::model::{Edge, Node, NodeId, TrustGraph};

/// One input: a display name (used in provenance and messages) and its content.
pub struct Input {
    pub name: String,
    pub content: Content,
}

/// Where an input's bytes are. Files are streamed rather than read whole, so a
/// gigabyte export never sits in memory beside the graph built from it.
pub enum Content {
    Bytes(Cow<'static, [u8]>),
    File(PathBuf),
}

impl Input {
    pub fn bytes(name: &str, bytes: impl Into<Cow<'static, [u8]>>) -> Input {
        Input {
            name: name.to_string(),
            content: Content::Bytes(bytes.into()),
        }
    }

    pub fn file(path: PathBuf) -> Input {
        Input {
            name: path.display().to_string(),
            content: Content::File(path),
        }
    }

    /// The first bytes, enough to detect the format.
    fn head(&self) -> Result<Cow<'_, [u8]>, ImportError> {
        match &self.content {
            Content::Bytes(b) => Ok(Cow::Borrowed(&b[..b.len().min(detect::HEAD)])),
            Content::File(path) => {
                let mut head = Vec::with_capacity(detect::HEAD);
                fs::File::open(path)
                    .and_then(|f| f.take(detect::HEAD as u64).read_to_end(&mut head))
                    .map_err(|source| io_error(path, source))?;
                Ok(Cow::Owned(head))
            }
        }
    }

    /// The whole content (for formats that are small by nature, like the CSVs).
    fn all(&self) -> Result<Cow<'_, [u8]>, ImportError> {
        match &self.content {
            Content::Bytes(b) => Ok(Cow::Borrowed(b)),
            Content::File(path) => fs::read(path)
                .map(Cow::Owned)
                .map_err(|source| io_error(path, source)),
        }
    }
}

fn io_error(path: &Path, source: io::Error) -> ImportError {
    ImportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What was read from one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    pub name: String,
    /// `None` when the file was skipped.
    pub format: Option<Format>,
    pub nodes: usize,
    pub edges: usize,
}

/// The loaded graph with everything worth telling the user about the load.
#[derive(Debug)]
pub struct Loaded {
    pub graph: TrustGraph,
    pub warnings: Vec<Warning>,
    pub files: Vec<FileReport>,
}

/// An edge whose endpoints were not all known when it was read (they may come later,
/// from another file).
struct PendingEdge {
    from: Box<str>,
    to: Box<str>,
    edge: Edge,
    file: String,
    /// Links CSV rows may name nodes the way the CLI does (key or unambiguous name).
    by_name: bool,
}

/// Accumulates nodes and edges across files.
pub(crate) struct Builder {
    pub(crate) graph: TrustGraph,
    pub(crate) warnings: Vec<Warning>,
    pending: Vec<PendingEdge>,
    overlay: Vec<inventory::Row>,
    last_from: Option<(Box<str>, NodeId)>,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            graph: TrustGraph::new(),
            warnings: Vec::new(),
            pending: Vec::new(),
            overlay: Vec::new(),
            last_from: None,
        }
    }

    /// Adds a node; a second definition of a key is reported and ignored.
    pub(crate) fn add_node(&mut self, node: Node, file: &str) {
        let place = node.provenance.place.in_message();
        if let Err(dup) = self.graph.add_node(node) {
            let first = self.graph.node(dup.0);
            let message = format!(
                "node '{}' is defined again (first at {}:{}); this definition is ignored",
                first.key,
                self.graph.source_name(first.provenance.source),
                first.provenance.place
            );
            self.warnings.push(Warning::new(file, place, message));
        }
    }

    /// Adds an edge between two keys, now if both are known, else once all files are read.
    pub(crate) fn add_edge(&mut self, from: &str, to: &str, edge: Edge, file: &str) {
        // Exports list edges grouped by source, so the last source usually repeats.
        let from_id = match &self.last_from {
            Some((key, id)) if **key == *from => Some(*id),
            _ => {
                let id = self.graph.find(from);
                if let Some(id) = id {
                    self.last_from = Some((from.into(), id));
                }
                id
            }
        };
        match (from_id, self.graph.find(to)) {
            (Some(a), Some(b)) => {
                self.graph.add_edge(a, b, edge);
            }
            _ => self.pending.push(PendingEdge {
                from: from.into(),
                to: to.into(),
                edge,
                file: file.to_string(),
                by_name: false,
            }),
        }
    }

    pub(crate) fn add_named_edge(&mut self, from: &str, to: &str, edge: Edge, file: &str) {
        self.pending.push(PendingEdge {
            from: from.into(),
            to: to.into(),
            edge,
            file: file.to_string(),
            by_name: true,
        });
    }

    /// Resolves pending edges and applies the inventory overlay.
    fn finish(mut self) -> (TrustGraph, Vec<Warning>) {
        // Resolve every pending endpoint first, then add: adding an edge drops the
        // graph's traversal cache, which name lookups would rebuild edge after edge.
        let pending = std::mem::take(&mut self.pending);
        let resolved: Vec<Result<(NodeId, NodeId), String>> = pending
            .iter()
            .map(|p| {
                let resolve = |key: &str| -> Result<NodeId, String> {
                    if p.by_name {
                        self.graph.resolve(key).map_err(|e| e.to_string())
                    } else {
                        self.graph
                            .find(key)
                            .ok_or_else(|| format!("unknown node '{key}'"))
                    }
                };
                Ok((resolve(&p.from)?, resolve(&p.to)?))
            })
            .collect();
        for (p, ends) in pending.into_iter().zip(resolved) {
            match ends {
                Ok((a, b)) => {
                    self.graph.add_edge(a, b, p.edge);
                }
                Err(e) => {
                    let message =
                        format!("{} edge {} -> {} skipped: {e}", p.edge.kind, p.from, p.to);
                    let place = p.edge.provenance.place.in_message();
                    self.warnings.push(Warning::new(&p.file, place, message));
                }
            }
        }
        let overlay = std::mem::take(&mut self.overlay);
        inventory::apply(&mut self.graph, &overlay, &mut self.warnings);
        self.graph.prepare();
        (self.graph, self.warnings)
    }
}

/// Loads inputs in the order given.
pub fn load_inputs(inputs: impl IntoIterator<Item = Input>) -> Result<Loaded, ImportError> {
    load_inputs_with(inputs, &mut |_| {})
}

/// [`load_inputs`], reporting progress on large files to `report`.
pub fn load_inputs_with(
    inputs: impl IntoIterator<Item = Input>,
    report: &mut dyn FnMut(Progress<'_>),
) -> Result<Loaded, ImportError> {
    let mut builder = Builder::new();
    let mut files = Vec::new();
    for input in inputs {
        let before = (
            builder.graph.node_count(),
            builder.graph.edge_count(),
            builder.pending.len(),
        );
        let format = match detect(&input.head()?) {
            Ok(format) => Some(format),
            Err(why) => {
                builder
                    .warnings
                    .push(Warning::new(&input.name, "", format!("skipped: {why}")));
                None
            }
        };
        match format {
            Some(Format::Native) => match &input.content {
                Content::Bytes(b) => native::read_slice(b, &input.name, &mut builder)?,
                Content::File(path) => {
                    let file = fs::File::open(path).map_err(|source| io_error(path, source))?;
                    let total = file.metadata().map_or(0, |m| m.len());
                    let counting = progress::Counting {
                        inner: file,
                        file: &input.name,
                        total,
                        done: 0,
                        report: &mut *report,
                    };
                    let reader = io::BufReader::with_capacity(1 << 20, counting);
                    native::read_stream(reader, &input.name, &mut builder)?;
                }
            },
            Some(Format::Inventory) => inventory::read(&input.all()?, &input.name, &mut builder)?,
            Some(Format::Links) => links::read(&input.all()?, &input.name, &mut builder)?,
            None => {}
        }
        files.push(FileReport {
            name: input.name,
            format,
            nodes: builder.graph.node_count() - before.0,
            edges: builder.graph.edge_count() - before.1 + builder.pending.len() - before.2,
        });
    }
    if files.iter().all(|f| f.format.is_none()) {
        return Err(ImportError::NothingRecognised {
            skipped: builder.warnings,
        });
    }
    report(Progress::Linking);
    let (graph, warnings) = builder.finish();
    Ok(Loaded {
        graph,
        warnings,
        files,
    })
}

/// Loads files and directories (searched recursively, in name order).
pub fn load_paths(paths: &[PathBuf]) -> Result<Loaded, ImportError> {
    load_paths_with(paths, &mut |_| {})
}

/// [`load_paths`], reporting progress on large files to `report`.
pub fn load_paths_with(
    paths: &[PathBuf],
    report: &mut dyn FnMut(Progress<'_>),
) -> Result<Loaded, ImportError> {
    let mut files = Vec::new();
    for path in paths {
        collect_files(path, &mut files, 0)?;
    }
    load_inputs_with(files.into_iter().map(Input::file), report)
}

/// Deeper than this is a symlink loop, not an export layout.
const MAX_DEPTH: usize = 64;

fn collect_files(path: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<(), ImportError> {
    let io = |source| io_error(path, source);
    let meta = fs::metadata(path).map_err(io)?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = fs::read_dir(path)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort();
    let before = out.len();
    for entry in entries {
        // Hidden directories (.git, .terraform) hold tool state, not exports.
        let hidden = entry
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden && entry.is_dir() {
            continue;
        }
        collect_files(&entry, out, depth + 1)?;
    }
    if depth == 0 && out.len() == before {
        return Err(ImportError::EmptyDirectory {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// The sample incident's files, embedded in the binary.
pub const SAMPLE: &[(&str, &[u8])] = &[
    (
        "sample-data/aws.graph.json",
        include_bytes!("../../sample-data/aws.graph.json"),
    ),
    (
        "sample-data/github.graph.json",
        include_bytes!("../../sample-data/github.graph.json"),
    ),
    (
        "sample-data/k8s.graph.json",
        include_bytes!("../../sample-data/k8s.graph.json"),
    ),
    (
        "sample-data/gcp.graph.json",
        include_bytes!("../../sample-data/gcp.graph.json"),
    ),
    (
        "sample-data/vault.graph.json",
        include_bytes!("../../sample-data/vault.graph.json"),
    ),
    (
        "sample-data/inventory.csv",
        include_bytes!("../../sample-data/inventory.csv"),
    ),
    (
        "sample-data/links.csv",
        include_bytes!("../../sample-data/links.csv"),
    ),
];

/// Loads the embedded sample incident.
pub fn load_sample() -> Result<Loaded, ImportError> {
    load_inputs(
        SAMPLE
            .iter()
            .map(|&(name, bytes)| Input::bytes(name, bytes)),
    )
}
