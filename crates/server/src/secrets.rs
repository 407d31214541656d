//! Secrets kept in the data directory (outside the database), created with mode 0600.

use std::io::Write;
use std::path::Path;

/// Reads a hex-encoded 32-byte secret from `path`, creating it (mode 0600) if missing.
pub fn load_or_create(path: &Path) -> std::io::Result<Vec<u8>> {
    if path.exists() {
        let text = std::fs::read_to_string(path)?;
        return hex::decode(text.trim()).map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} is not a hex secret", path.display()),
            )
        });
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut key = [0_u8; 32];
    getrandom::fill(&mut key).map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(hex::encode(key).as_bytes())?;
    f.sync_all()?;
    Ok(key.to_vec())
}

/// Random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut b = [0_u8; N];
    getrandom::fill(&mut b)?;
    Ok(b)
}
