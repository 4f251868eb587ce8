//! Writing a file so that a crash, a full disk or a planted link never leaves half of it
//! or writes somewhere else: the content goes to a new file beside the target, created
//! exclusively under a random name (so nothing planted at a predictable name is opened
//! or followed), flushed to disk, given the target's permissions when it exists (a 0600
//! file stays 0600), then renamed over the target in one step.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Writes `path` atomically with what `fill` writes.
pub fn write(path: &Path, fill: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map_or_else(|| "trustpath".into(), |n| n.to_string_lossy().into_owned());
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .tempfile_in(dir)?;
    {
        let mut w = io::BufWriter::new(tmp.as_file());
        fill(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    // The target's permissions, not the temporary file's 0600 (nor a default 0644 that
    // would widen a 0600 target).
    if let Ok(meta) = fs::symlink_metadata(path)
        && meta.is_file()
    {
        fs::set_permissions(tmp.path(), meta.permissions())?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Writes `bytes` to `path` atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write(path, |w| w.write_all(bytes))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn keeps_permissions_and_never_follows_a_planted_link() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("graph.json");
        fs::write(&target, "old").expect("write");
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).expect("chmod");
        // What an attacker would plant at the old predictable name.
        let victim = dir.path().join("victim");
        fs::write(&victim, "untouched").expect("write");
        std::os::unix::fs::symlink(&victim, dir.path().join("graph.json.partial"))
            .expect("symlink");
        write_bytes(&target, b"new").expect("writes");
        assert_eq!(fs::read_to_string(&target).expect("read"), "new");
        assert_eq!(fs::read_to_string(&victim).expect("read"), "untouched");
        let mode = fs::metadata(&target).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // No temporary file is left behind, whether the write succeeds or fails.
        let failed = write(&target, |_| Err(io::Error::other("disk full")));
        assert!(failed.is_err());
        assert_eq!(fs::read_to_string(&target).expect("read"), "new");
        let left: Vec<_> = fs::read_dir(dir.path())
            .expect("read")
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name().to_string_lossy().ends_with(".partial")
                    && e.file_name() != "graph.json.partial"
            })
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
