//! Replacing a file in one step: the new contents go to a temporary file in the same directory
//! ([`tempfile::NamedTempFile`]), are fsynced, and the temporary file is renamed over the old one
//! ([`tempfile::NamedTempFile::persist`]), so that a crash leaves the old file or the new one,
//! never half of one, and a reader never sees a file being written.
//!
//! The one helper for the `.env` targets, the inventory and `credctl`'s secret and state files.

use std::io::Write;
use std::path::Path;

/// The permissions the written file gets (Unix; ignored elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileMode {
    /// An existing file keeps its mode; a new one gets this one.
    KeepOr(u32),
    /// The file gets this mode, also when it existed with another.
    Exactly(u32),
}

/// Writes `contents` to `path` in one step, with permissions as `mode` says.
///
/// ```
/// use credential_issuer_client::atomic_write::{FileMode, write_atomically};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("secret");
/// write_atomically(&path, b"one", FileMode::Exactly(0o600)).unwrap();
/// write_atomically(&path, b"two", FileMode::KeepOr(0o644)).unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"two");
/// # #[cfg(unix)] {
/// use std::os::unix::fs::PermissionsExt;
/// assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
/// # }
/// assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file is left");
/// ```
pub fn write_atomically(path: &Path, contents: &[u8], mode: FileMode) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Created mode 0600, so that no one reads the new contents before they have their mode.
    let mut file = tempfile::Builder::new()
        .prefix(&format!(".{name}.credctl-"))
        .tempfile_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let bits = match mode {
            FileMode::KeepOr(new) => std::fs::metadata(path)
                .map(|m| m.permissions().mode())
                .unwrap_or(new),
            FileMode::Exactly(bits) => bits,
        };
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(bits & 0o7777))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|e| e.error)?;
    // The rename itself is durable once the directory is.
    if let Ok(dir) = std::fs::File::open(dir) {
        dir.sync_all()?;
    }
    Ok(())
}
