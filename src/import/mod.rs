//! Loading inputs into a [`TrustGraph`]: walking paths, detecting formats, reading each
//! file with its importer, then resolving cross-file references and applying overlays.

mod aws;
pub(crate) mod azure;
mod detect;
mod error;
mod gcp;
pub mod github;
mod halves;
mod inventory;
pub mod k8s;
mod link;
mod links;
mod mapped;
pub mod native;
mod progress;
mod sample;
pub mod snapshot;
mod spire;
mod ssh;
mod table;
mod vault;
mod x509;

use std::borrow::Cow;
use std::fs;
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) use aws::commands as aws_commands;
pub use detect::{Format, detect};
pub use error::{ImportError, Warning};
pub use progress::Progress;
pub use sample::{SAMPLE, load_sample, load_sample_at};
pub(crate) use vault::commands as vault_commands;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::model::{
    Edge, Node, NodeId, NodeKind, Place, Provenance, Revoke, SourceId, TrustGraph, no_revoke,
};

/// One input: a display name (used in provenance and messages) and its content.
pub struct Input {
    pub name: String,
    pub content: Content,
}

/// Where an input's bytes are. Files are streamed rather than read whole, so a
/// gigabyte export never sits in memory beside the graph built from it.
pub enum Content {
    Bytes(Cow<'static, [u8]>),
    /// A file named on the command line: it may be a pipe.
    File(PathBuf),
    /// A file found inside an input directory: read only while it is a regular file.
    Found(PathBuf),
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

    /// A file found inside an input directory (see [`Content::Found`]).
    pub fn found(path: PathBuf) -> Input {
        Input {
            name: path.display().to_string(),
            content: Content::Found(path),
        }
    }

    /// Opens the input once (so pipes and process substitutions work): the first bytes
    /// for detection, the last ones of a large regular file (a JSON document with sorted
    /// keys names its schema at the end), and a reader over the whole content. A UTF-8
    /// byte-order mark is skipped.
    fn open(&self) -> Result<Opened<'_>, ImportError> {
        match &self.content {
            Content::Bytes(b) => {
                let b = b.strip_prefix(BOM).unwrap_or(b);
                let tail = (b.len() > detect::HEAD).then(|| b[b.len() - detect::HEAD..].to_vec());
                Ok(Opened {
                    head: b[..b.len().min(detect::HEAD)].to_vec(),
                    tail,
                    total: b.len() as u64,
                    source: Source::Bytes(b),
                })
            }
            Content::File(path) | Content::Found(path) => {
                let io = |source| io_error(path, source);
                let mut file = match self.content {
                    Content::Found(_) => open_regular(path),
                    _ => fs::File::open(path),
                }
                .map_err(io)?;
                let meta = file.metadata().map_err(io)?;
                let total = if meta.is_file() { meta.len() } else { 0 };
                // A regular file says its size: refuse it before reading a byte.
                if total > max_input_size() {
                    return Err(io(io::Error::other(format!(
                        "{total} bytes, larger than {} bytes, the most one input may hold (--max-input-size raises it)",
                        max_input_size()
                    ))));
                }
                let mut head = Vec::with_capacity(detect::HEAD);
                (&mut file)
                    .take(detect::HEAD as u64)
                    .read_to_end(&mut head)
                    .map_err(io)?;
                if head.starts_with(BOM) {
                    head.drain(..BOM.len());
                }
                let tail = if total > detect::HEAD as u64 {
                    Some(read_tail(path, total).map_err(io)?)
                } else {
                    None
                };
                Ok(Opened {
                    head,
                    tail,
                    total,
                    source: Source::File(file),
                })
            }
        }
    }
}

/// Opens a file without blocking, and only while it is a regular file: a file the walk
/// found may have been swapped for a FIFO since, and a plain open of a FIFO blocks until
/// a writer comes, which may be never.
fn open_regular(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // No effect on reads of a regular file; makes opening a FIFO return at once.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::other(
            "not a regular file any more (it was replaced while loading)",
        ));
    }
    Ok(file)
}

/// The last [`detect::HEAD`] bytes of a regular file.
fn read_tail(path: &Path, len: u64) -> io::Result<Vec<u8>> {
    let mut file = open_regular(path)?;
    file.seek(io::SeekFrom::Start(len - detect::HEAD as u64))?;
    let mut tail = Vec::with_capacity(detect::HEAD);
    file.take(detect::HEAD as u64).read_to_end(&mut tail)?;
    Ok(tail)
}

/// UTF-8's byte-order mark, which some Windows tools write first: not part of the text.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// An input opened by [`Input::open`].
struct Opened<'a> {
    head: Vec<u8>,
    tail: Option<Vec<u8>>,
    /// Size in bytes (0 when unknown, as for a pipe).
    total: u64,
    source: Source<'a>,
}

enum Source<'a> {
    /// The whole content, byte-order mark removed.
    Bytes(&'a [u8]),
    /// The file, positioned after `head`.
    File(fs::File),
}

impl Opened<'_> {
    /// The whole content (for formats that are small by nature, like the CSVs).
    fn all(self) -> Result<Vec<u8>, io::Error> {
        match self.source {
            Source::Bytes(b) => Ok(b.to_vec()),
            Source::File(file) => {
                let mut all = self.head;
                let read = all.len() as u64;
                // (A snapshot of a million nodes is hundreds of megabytes: no doublings.)
                all.reserve(usize::try_from(self.total.saturating_sub(read)).unwrap_or(0));
                progress::Capped {
                    inner: file,
                    read,
                    limit: max_input_size(),
                }
                .read_to_end(&mut all)?;
                Ok(all)
            }
        }
    }
}

/// The most bytes one input may hold unless raised (`--max-input-size`): far above any
/// real export (a million-node graph is 1.2 GB), far below what would exhaust memory.
pub const DEFAULT_MAX_INPUT_SIZE: u64 = 16 << 30;

static MAX_INPUT_SIZE: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(DEFAULT_MAX_INPUT_SIZE);

/// Sets the most bytes one input may hold, for every load that follows.
pub fn set_max_input_size(bytes: u64) {
    MAX_INPUT_SIZE.store(bytes, std::sync::atomic::Ordering::Relaxed);
}

fn max_input_size() -> u64 {
    MAX_INPUT_SIZE.load(std::sync::atomic::Ordering::Relaxed)
}

/// An importer that reads an input's bytes at once.
type Reader = fn(&[u8], &str, &mut Builder) -> Result<(), ImportError>;

/// The importer of a format, reading the whole input at once (only native JSON from a
/// file is streamed instead).
fn read_whole(format: Format) -> Reader {
    match format {
        Format::Native => native::read_slice,
        Format::Inventory => inventory::read,
        Format::Links => links::read,
        Format::AwsAuthorizationDetails => aws::read_gaad,
        Format::AwsCredentialReport => aws::read_credential_report,
        Format::AwsAccessKeys => aws::read_access_keys,
        Format::AwsIdentityProviders => aws::read_providers,
        Format::AwsServiceControlPolicy => aws::read_scp,
        Format::GithubWorkflow => github::read_workflow,
        Format::GithubApi => github::read_api,
        Format::Kubernetes => k8s::read_objects,
        Format::Eks => k8s::read_eks,
        Format::Gcp => gcp::read,
        Format::Azure => azure::read,
        Format::Vault => vault::read,
        Format::Spire => spire::read,
        Format::X509 => x509::read,
        Format::Ssh => ssh::read,
        Format::Snapshot => snapshot::read,
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
    /// Index of the file it was read from, and where in it.
    file: usize,
    at: Place,
    /// Links CSV rows may name nodes the way the CLI does (key or unambiguous name).
    by_name: bool,
}

/// A revoke entry an importer writes (its commands, when it knows them exactly).
pub(crate) fn revoke(
    id: impl Into<String>,
    action: &str,
    cost: u32,
    commands: Vec<String>,
) -> Revoke {
    Revoke {
        id: id.into(),
        action: Revoke::action_name(action),
        cost,
        commands,
        from_file: false,
    }
}

/// Adds a node of `platform` unless its key is known (another input, or another
/// importer, may define it first), and returns the new node for its importer to fill in.
pub(crate) fn add_new_node<'g>(
    graph: &'g mut TrustGraph,
    key: &str,
    kind: NodeKind,
    platform: &str,
    name: &str,
    scope: Option<&str>,
    prov: Provenance,
) -> Option<&'g mut Node> {
    if let Some(id) = graph.find(key) {
        // A placeholder another importer made for something it names (a Kubernetes
        // annotation's cloud identity, a trust's repository) gives way to the listing
        // that holds it: its kind, name and place, and no more "not in inputs".
        let node = graph.node_mut(id);
        node.tags.remove("not_in_inputs")?;
        node.kind = kind;
        node.platform = platform.into();
        node.name = name.into();
        node.scope = scope.map(Into::into);
        node.provenance = prov;
        return Some(node);
    }
    let mut node = Node::new(key, kind, prov);
    node.platform = platform.into();
    node.name = name.into();
    node.scope = scope.map(Into::into);
    let id = graph.add_node(node).ok()?;
    Some(graph.node_mut(id))
}

/// The node of something an input names but no input lists (a cloud identity a
/// Kubernetes annotation or a workflow step names), tagged `not_in_inputs` with `why`;
/// the node already there, if any. A listing read later replaces it ([`add_new_node`]).
pub(crate) fn add_placeholder(
    graph: &mut TrustGraph,
    key: &str,
    kind: NodeKind,
    platform: &str,
    why: String,
    prov: Provenance,
) -> NodeId {
    if let Some(id) = graph.find(key) {
        return id;
    }
    let mut node = Node::new(key, kind, prov);
    node.platform = platform.into();
    node.tags.insert("not_in_inputs".into(), why);
    match graph.add_node(node) {
        Ok(id) => id,
        Err(existing) => existing.0,
    }
}

/// Where an importer found something: the file, and the object in it.
pub(crate) fn provenance(graph: &mut TrustGraph, file: &str, what: String) -> Provenance {
    Provenance {
        source: graph.intern_source(file),
        place: Place::Other(what.into()),
    }
}

/// Accumulates nodes and edges across files.
pub(crate) struct Builder {
    pub(crate) graph: TrustGraph,
    pub(crate) warnings: Vec<Warning>,
    pending: Vec<PendingEdge>,
    overlay: Vec<inventory::Row>,
    last_from: Option<(Box<str>, NodeId)>,
    /// Names of the files read so far; the last is the one being read.
    files: Vec<String>,
    /// Edges added per file (pending ones count once they resolve).
    edges_added: Vec<usize>,
    /// Nodes added per file after it was read (by importers that derive them at the end).
    late_nodes: Vec<usize>,
    /// AWS exports, evaluated once all files are read.
    aws: aws::Inventory,
    /// GitHub workflows, turned into nodes and edges once all files are read.
    github: github::Inventory,
    /// Kubernetes objects by cluster, turned into nodes and edges once all files are read.
    k8s: k8s::Inventory,
    /// GCP policies, accounts, keys and hierarchy, turned into the graph at the end.
    gcp: gcp::Inventory,
    azure: azure::Inventory,
    /// Vault mounts, roles, policies, secrets and credentials, evaluated at the end.
    vault: vault::Inventory,
    /// SPIRE registration entries, linked to agents and workloads at the end.
    spire: spire::Inventory,
    /// Certificates and private keys (fingerprints and metadata only), chained at the end.
    x509: x509::Inventory,
    /// SSH keys, authorized_keys, sshd configuration and certificates, by host.
    ssh: ssh::Inventory,
    /// Time against which importers evaluate time conditions (`--at`).
    at: jiff::Timestamp,
    /// Edge reasons seen so far, so that edges giving the same reason share one copy.
    /// Dropped with the builder: a graph whose reasons all differ keeps no second copy.
    reasons: FxHashSet<Arc<str>>,
    /// The last edge's revoke entries, which the next edge shares when it lists the same:
    /// exports group edges by source, and the grants of one policy, binding or group
    /// list the same detach. (A set of every list seen cost a tenth of the load for
    /// ids that are mostly unique: one per membership or trust statement.)
    last_revoke: Arc<[Revoke]>,
}

impl Builder {
    fn new(at: jiff::Timestamp) -> Builder {
        Builder {
            graph: TrustGraph::new(),
            warnings: Vec::new(),
            pending: Vec::new(),
            overlay: Vec::new(),
            last_from: None,
            files: Vec::new(),
            edges_added: Vec::new(),
            late_nodes: Vec::new(),
            aws: aws::Inventory::default(),
            github: github::Inventory::default(),
            k8s: k8s::Inventory::default(),
            gcp: gcp::Inventory::default(),
            azure: azure::Inventory::default(),
            vault: vault::Inventory::default(),
            spire: spire::Inventory::default(),
            x509: x509::Inventory::default(),
            ssh: ssh::Inventory::default(),
            at,
            reasons: FxHashSet::default(),
            last_revoke: no_revoke(),
        }
    }

    fn begin_file(&mut self, name: &str) {
        self.files.push(name.to_string());
        self.edges_added.push(0);
        self.late_nodes.push(0);
    }

    /// A warning at a place of the file being read.
    pub(crate) fn warn(&mut self, at: &Place, message: String) {
        let file = self.files.last().map_or("", String::as_str);
        self.warnings
            .push(Warning::new(file, at.in_message(), message));
    }

    /// Adds a node read at `at`; a second definition of a key is reported and ignored.
    pub(crate) fn add_node(&mut self, node: Node, at: &Place) -> NodeId {
        let dup = match self.graph.add_node(node) {
            Ok(id) => return id,
            Err(dup) => dup,
        };
        let first = self.graph.node(dup.0);
        let message = format!(
            "node '{}' is defined again; this definition is ignored (the one kept came from {}:{})",
            first.key,
            self.graph.source_name(first.provenance.source),
            first.provenance.place.in_message()
        );
        self.warn(at, message);
        dup.0
    }

    /// Adds an edge read at `at` between two keys, now if both are known, else once all
    /// files are read. Its reason and revoke list are shared already (the native reader
    /// shares them as it reads).
    pub(crate) fn add_edge(&mut self, from: &str, to: &str, edge: Edge, at: Place) {
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
                if let Some(n) = self.edges_added.last_mut() {
                    *n += 1;
                }
            }
            _ => self.pending.push(PendingEdge {
                from: from.into(),
                to: to.into(),
                edge,
                file: self.files.len().saturating_sub(1),
                at,
                by_name: false,
            }),
        }
    }

    /// Adds an edge whose endpoints may be names; resolved once all files are read.
    pub(crate) fn add_named_edge(&mut self, from: &str, to: &str, edge: Edge, at: Place) {
        self.pending.push(PendingEdge {
            from: from.into(),
            to: to.into(),
            edge,
            file: self.files.len().saturating_sub(1),
            at,
            by_name: true,
        });
    }

    /// Resolves pending edges and applies the inventory overlay.
    /// Credits nodes and edges added since the given counts to the files they came from.
    fn count_by_source(&mut self, nodes_before: usize, edges_before: usize) {
        // Each interned source is looked up among the file names once, not once per edge
        // (a subscription-per-directory tenant has hundreds of files and 100,000s of
        // edges), and by hash (a GitHub organisation has tens of thousands of files).
        let mut first: FxHashMap<&str, usize> = FxHashMap::default();
        for (i, f) in self.files.iter().enumerate() {
            first.entry(f.as_str()).or_insert(i);
        }
        let mut memo: FxHashMap<SourceId, Option<usize>> = FxHashMap::default();
        let graph = &self.graph;
        let mut index = |source: SourceId| {
            *memo
                .entry(source)
                .or_insert_with(|| first.get(graph.source_name(source)).copied())
        };
        for n in graph.node_ids().skip(nodes_before) {
            if let Some(i) = index(graph.node(n).provenance.source) {
                self.late_nodes[i] += 1;
            }
        }
        for e in graph.edge_ids().skip(edges_before) {
            if let Some(i) = index(graph.edge(e).provenance.source) {
                self.edges_added[i] += 1;
            }
        }
    }

    /// Resolves pending edges, drops duplicates, applies the overlay and builds the
    /// indexes; returns the graph, the warnings and, per file, the edges kept and the
    /// nodes derived after reading.
    fn finish(mut self) -> (TrustGraph, Vec<Warning>, Vec<(usize, usize)>) {
        let mut aws = std::mem::take(&mut self.aws);
        let (nodes_before, edges_before) = (self.graph.node_count(), self.graph.edge_count());
        aws::finish(&mut aws, &mut self.graph, &mut self.warnings, self.at);
        let github = std::mem::take(&mut self.github);
        github::finish(github, &mut self.graph, &mut self.warnings);
        k8s::finish(&self.k8s, &mut self.graph, &mut self.warnings);
        gcp::finish(&mut self.gcp, &mut self.graph, &mut self.warnings, self.at);
        azure::finish(&self.azure, &mut self.graph, &mut self.warnings, self.at);
        // After Kubernetes and GitHub: Vault and SPIRE admit their service accounts and
        // jobs.
        vault::finish(
            &self.vault,
            &self.overlay,
            &mut self.graph,
            &mut self.warnings,
        );
        spire::finish(&self.spire, &mut self.graph, &mut self.warnings, self.at);
        // SSH first: a private key found on a host is read through its logins.
        ssh::finish(&self.ssh, &mut self.graph, &mut self.warnings, self.at);
        x509::finish(&self.x509, &mut self.graph, &mut self.warnings, self.at);
        let before_links = self.graph.edge_count();
        // A snapshot read alone holds the links made when it was saved, and the warnings
        // made with them: made again, they would only thaw it to be dropped as repeats.
        if !self.graph.is_frozen() {
            let candidates = link::Candidates::scan(&self.graph);
            link::github_oidc(&mut self.graph, &candidates);
            gcp::link_wif(&mut self.graph, &candidates);
            azure::link_logins(&mut self.graph, &mut self.warnings, &candidates);
        }
        // A saved graph holds the links made when it was first imported: made again
        // now, they repeat it, and that is no sign of a file loaded twice.
        let linked: std::collections::HashSet<(Box<str>, Box<str>)> = self
            .graph
            .edge_ids()
            .skip(before_links)
            .map(|e| {
                let (from, to) = self.graph.endpoints(e);
                (
                    Box::<str>::from(self.graph.key(from)),
                    Box::<str>::from(self.graph.key(to)),
                )
            })
            .collect();
        self.count_by_source(nodes_before, edges_before);
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
                    self.edges_added[p.file] += 1;
                }
                Err(e) => {
                    let message =
                        format!("{} edge {} -> {} skipped: {e}", p.edge.kind, p.from, p.to);
                    let file = &self.files[p.file];
                    self.warnings
                        .push(Warning::new(file, p.at.in_message(), message));
                }
            }
        }
        let overlay = std::mem::take(&mut self.overlay);
        inventory::apply(&mut self.graph, &overlay, &mut self.warnings);
        let mut duplicates = self.graph.remove_duplicate_edges();
        duplicates.retain(|pair| !linked.contains(pair));
        if let Some((from, to)) = duplicates.first() {
            let message = format!(
                "{} edge(s) appeared more than once and were kept once (first: {from} -> {to}); \
                 was a file loaded twice?",
                duplicates.len()
            );
            self.warnings.push(Warning::new("inputs", "", message));
        }
        self.graph.prepare();
        let counts = self.edges_added.into_iter().zip(self.late_nodes).collect();
        (self.graph, self.warnings, counts)
    }
}

/// Loads inputs in the order given.
pub fn load_inputs(inputs: impl IntoIterator<Item = Input>) -> Result<Loaded, ImportError> {
    load_inputs_with(inputs, jiff::Timestamp::now(), &mut |_| {})
}

/// [`load_inputs`], evaluating time conditions in exports as of `at`, and reporting
/// progress on large files to `report`.
pub fn load_inputs_with(
    inputs: impl IntoIterator<Item = Input>,
    at: jiff::Timestamp,
    report: &mut dyn FnMut(Progress<'_>),
) -> Result<Loaded, ImportError> {
    let mut builder = Builder::new(at);
    let mut files = Vec::new();
    for input in inputs {
        let opened = match input.open() {
            Ok(opened) => opened,
            // Inside a directory, one entry that cannot be read is a warning, not the end
            // of the load.
            Err(ImportError::Io { source, .. }) if matches!(input.content, Content::Found(_)) => {
                let why = format!("skipped: {source}");
                builder.warnings.push(Warning::new(&input.name, "", why));
                continue;
            }
            Err(e) => return Err(e),
        };
        builder.begin_file(&input.name);
        let nodes_before = builder.graph.node_count();
        // GitHub runs every file in a workflows directory: one whose `on:` and `jobs:`
        // come after the bytes detection reads (64 KiB of comments), or whose first line
        // looks like something else, must not hide from the analysis.
        // (A snapshot says what it is in its first bytes, wherever it was saved.)
        let detected = if snapshot::is_snapshot(&opened.head) {
            Ok(Format::Snapshot)
        } else if detect::in_workflows_dir(&input.name) || detect::is_local_action(&input.name) {
            Ok(Format::GithubWorkflow)
        } else if detect::in_vault_tree(&input.name) {
            Ok(Format::Vault)
        } else if detect::in_ssh_tree(&input.name) {
            Ok(Format::Ssh)
        } else {
            detect(&opened.head, opened.tail.as_deref())
        };
        let format = match detected {
            Ok(format) => Some(format),
            Err(why) => {
                builder
                    .warnings
                    .push(Warning::new(&input.name, "", format!("skipped: {why}")));
                None
            }
        };
        let name = input.name.as_str();
        let io = |source| match &input.content {
            Content::File(path) | Content::Found(path) => io_error(path, source),
            Content::Bytes(_) => io_error(Path::new(name), source),
        };
        match format {
            Some(Format::Native) => match opened.source {
                Source::Bytes(b) => native::read_slice(b, name, &mut builder)?,
                // A large file is read where it lies in the page cache, not copied.
                Source::File(file) => match mapped::Mapped::of(&file, opened.total) {
                    Some(map) => {
                        let bom = if map.bytes().starts_with(BOM) {
                            BOM.len()
                        } else {
                            0
                        };
                        let mut steps = progress::Steps::new(name, opened.total, &mut *report);
                        let mut moved = |held: usize| steps.reached((bom + held) as u64);
                        let read = |read: usize| {
                            // Only advice: the pages stay mapped if it is refused.
                            let _ = map.release(bom + read);
                        };
                        let bytes = &map.bytes()[bom..];
                        native::read_in_place(bytes, name, &mut builder, &mut moved, &read)?;
                    }
                    None => {
                        let reader = streamed(opened.head, file, name, opened.total, &mut *report);
                        native::read_stream(reader, name, &mut builder)?;
                    }
                },
            },
            // A snapshot is read where it lies too, its pages given back as they are
            // decoded: the file is never held whole beside the graph.
            Some(Format::Snapshot) => match opened.source {
                Source::Bytes(b) => snapshot::read(b, name, &mut builder)?,
                Source::File(file) => match mapped::Mapped::of(&file, opened.total) {
                    Some(map) => {
                        let mut steps = progress::Steps::new(name, opened.total, &mut *report);
                        let mut done = |read: usize| {
                            steps.reached(read as u64);
                            // Only advice: the pages stay mapped if it is refused.
                            let _ = map.release(read);
                        };
                        snapshot::read_in_place(map.bytes(), name, &mut builder, &mut done)?;
                    }
                    None => {
                        let reader = streamed(opened.head, file, name, opened.total, &mut *report);
                        snapshot::read_stream(reader, Some(opened.total), name, &mut builder)?;
                    }
                },
            },
            Some(other) => read_whole(other)(&opened.all().map_err(io)?, name, &mut builder)?,
            None => {}
        }
        files.push(FileReport {
            name: input.name,
            format,
            nodes: builder.graph.node_count() - nodes_before,
            edges: 0, // known once cross-file references resolve
        });
    }
    if files.iter().all(|f| f.format.is_none()) {
        return Err(ImportError::NothingRecognised {
            skipped: builder.warnings,
        });
    }
    report(Progress::Linking);
    let (graph, mut warnings, counts) = builder.finish();
    // A snapshot replays the warnings of the load that wrote it, and linking finds some
    // of them again: each is said once.
    let mut said = std::collections::HashSet::new();
    warnings.retain(|w| said.insert((w.file.clone(), w.place.clone(), w.message.clone())));
    for (file, (edges, late_nodes)) in files.iter_mut().zip(counts) {
        file.edges = edges;
        file.nodes += late_nodes;
    }
    Ok(Loaded {
        graph,
        warnings,
        files,
    })
}

/// A file whose first bytes were read for detection, read on from there: capped at the
/// most one input may hold, with progress reported as it goes.
fn streamed<'p>(
    head: Vec<u8>,
    file: fs::File,
    name: &'p str,
    total: u64,
    report: &'p mut dyn FnMut(Progress<'_>),
) -> impl Read + 'p {
    progress::Counting {
        inner: progress::Capped {
            inner: io::Cursor::new(head).chain(file),
            read: 0,
            limit: max_input_size(),
        },
        steps: progress::Steps::new(name, total, report),
    }
}

/// Loads files and directories (searched recursively, in name order).
pub fn load_paths(paths: &[PathBuf]) -> Result<Loaded, ImportError> {
    load_paths_with(paths, jiff::Timestamp::now(), &mut |_| {})
}

/// [`load_paths`], reporting progress on large files to `report`.
pub fn load_paths_with(
    paths: &[PathBuf],
    at: jiff::Timestamp,
    report: &mut dyn FnMut(Progress<'_>),
) -> Result<Loaded, ImportError> {
    let mut walk = Walk::default();
    for path in paths {
        walk.top(path)?;
    }
    let mut loaded = load_inputs_with(walk.files, at, report)?;
    loaded.warnings.splice(0..0, walk.warnings);
    Ok(loaded)
}

/// The files under the input paths, in name order. A path given on the command line
/// must be readable (and may be a pipe); inside a directory only regular files are read,
/// an unreadable entry, a dangling link or a special file (FIFO, socket, device) is a
/// warning, and a directory reached twice through links is walked once.
#[derive(Default)]
struct Walk {
    files: Vec<Input>,
    warnings: Vec<Warning>,
    seen_dirs: std::collections::HashSet<PathBuf>,
}

impl Walk {
    fn top(&mut self, path: &Path) -> Result<(), ImportError> {
        let meta = fs::metadata(path).map_err(|source| io_error(path, source))?;
        if !meta.is_dir() {
            self.files.push(Input::file(path.to_path_buf()));
            return Ok(());
        }
        // A directory already walked (given twice, or inside another input) adds nothing
        // and is no error.
        let again = fs::canonicalize(path).is_ok_and(|p| self.seen_dirs.contains(&p));
        let before = self.files.len();
        self.dir(path).map_err(|source| io_error(path, source))?;
        if self.files.len() == before && !again {
            return Err(ImportError::EmptyDirectory {
                path: path.to_path_buf(),
            });
        }
        Ok(())
    }

    fn dir(&mut self, path: &Path) -> io::Result<()> {
        if !self.seen_dirs.insert(fs::canonicalize(path)?) {
            return Ok(());
        }
        // The entry's type as the directory listing gives it (no `stat` per file: a
        // checkout of 10,000 workflows is 10,000 of them); a link is followed.
        let mut entries: Vec<(PathBuf, fs::FileType)> = fs::read_dir(path)?
            .map(|e| e.and_then(|e| Ok((e.path(), e.file_type()?))))
            .collect::<Result<_, _>>()?;
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (entry, listed) in entries {
            if listed.is_file() {
                // One that cannot be read is a warning when it is read.
                self.files.push(Input::found(entry));
                continue;
            }
            let meta = match fs::metadata(&entry) {
                Ok(meta) => meta,
                Err(e) => {
                    self.skip(&entry, &e);
                    continue;
                }
            };
            if meta.is_file() {
                self.files.push(Input::found(entry));
                continue;
            }
            if !meta.is_dir() {
                // A FIFO would block the load forever, a device could be endless: inside a
                // directory only regular files are read (name one with -i to read it).
                let what = special_kind(&meta);
                self.warnings.push(Warning::new(
                    &entry.display().to_string(),
                    "",
                    format!("skipped: not a regular file ({what}); give it with -i to read it"),
                ));
                continue;
            }
            // Hidden directories (.git, .terraform) hold tool state, not exports; .github
            // holds a checkout's workflows.
            let hidden = entry
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.') && n != ".github");
            if !hidden && let Err(e) = self.dir(&entry) {
                self.skip(&entry, &e);
            }
        }
        Ok(())
    }

    fn skip(&mut self, path: &Path, error: &io::Error) {
        let name = path.display().to_string();
        self.warnings
            .push(Warning::new(&name, "", format!("skipped: {error}")));
    }
}

/// What a file that is neither regular nor a directory is, for a warning.
fn special_kind(meta: &fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    let _ = meta;
    "a special file"
}

/// The copy of `value` kept in `set`; `value` itself when it is the first.
fn share<T: ?Sized + Eq + std::hash::Hash>(set: &mut FxHashSet<Arc<T>>, value: Arc<T>) -> Arc<T> {
    if let Some(kept) = set.get(&value) {
        return kept.clone();
    }
    set.insert(value.clone());
    value
}
