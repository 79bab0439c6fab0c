//! The one stderr logging set-up of both binaries: stderr only (the shim's
//! stdout belongs to the protocol), no colours (hosts show stderr raw).

/// Log to stderr with `filter`, else `RUST_LOG`, else `default` (e.g. `warn`).
pub fn init_stderr(filter: Option<&str>, default: &str) {
    let filter =
        filter.map(str::to_string).or_else(|| std::env::var("RUST_LOG").ok()).unwrap_or_else(|| default.into());
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .try_init();
}

/// The app's log file: at most this many bytes before it rotates.
pub const LOG_MAX_BYTES: u64 = 1024 * 1024;
/// How many files are kept: `erp-helper.log` and `.1` … `.4` (at most 5 MiB).
pub const LOG_FILES: usize = 5;
/// The log file's name in its directory.
pub const LOG_FILE: &str = "erp-helper.log";

/// Log to stderr (as [`init_stderr`]) and to a size-rotated file in `dir`
/// ([`LOG_FILE`], [`LOG_MAX_BYTES`], [`LOG_FILES`]), readable only by you.
/// A file that cannot be opened leaves stderr only, and says why there.
pub fn init_app(dir: &std::path::Path, default: &str) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| default.into());
    let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(false);
    let (file, why) = match RotatingFile::open(dir, LOG_FILE, LOG_MAX_BYTES, LOG_FILES) {
        Ok(f) => (Some(tracing_subscriber::fmt::layer().with_writer(f).with_ansi(false)), None),
        Err(e) => (None, Some(format!("no log file in {}: {e}", dir.display()))),
    };
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new(filter))
        .with(stderr)
        .with(file)
        .try_init();
    if let Some(why) = why {
        eprintln!("erp-helper: {why}");
    }
}

/// A log file that, before a write would take it past `max` bytes, becomes
/// `NAME.1` (`.1` becomes `.2`, …; the oldest of `keep` goes).
pub struct RotatingFile {
    state: std::sync::Mutex<Rotating>,
}

struct Rotating {
    path: std::path::PathBuf,
    file: std::fs::File,
    size: u64,
    max: u64,
    keep: usize,
}

impl RotatingFile {
    /// Open (append to) `dir/name`, creating `dir` (0700) and the file (0600).
    pub fn open(dir: &std::path::Path, name: &str, max: u64, keep: usize) -> std::io::Result<Self> {
        create_private_dir(dir)?;
        let path = dir.join(name);
        let file = open_private(&path)?;
        let size = file.metadata()?.len();
        Ok(Self { state: std::sync::Mutex::new(Rotating { path, file, size, max, keep: keep.max(1) }) })
    }
}

impl Rotating {
    fn rotate(&mut self) -> std::io::Result<()> {
        let numbered = |n: usize| {
            let mut p = self.path.clone().into_os_string();
            p.push(format!(".{n}"));
            std::path::PathBuf::from(p)
        };
        let _ = std::fs::remove_file(numbered(self.keep - 1));
        for n in (1..self.keep - 1).rev() {
            let _ = std::fs::rename(numbered(n), numbered(n + 1));
        }
        if self.keep > 1 {
            std::fs::rename(&self.path, numbered(1))?;
        } else {
            std::fs::remove_file(&self.path)?;
        }
        self.file = open_private(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

fn open_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)
}

fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// One write to a [`RotatingFile`] (a whole formatted event).
pub struct RotatingWriter<'a>(&'a RotatingFile);

impl std::io::Write for RotatingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut s = self.0.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.size > 0 && s.size + buf.len() as u64 > s.max {
            s.rotate()?;
        }
        let n = std::io::Write::write(&mut s.file, buf)?;
        s.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let mut s = self.0.state.lock().unwrap_or_else(|p| p.into_inner());
        std::io::Write::flush(&mut s.file)
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for RotatingFile {
    type Writer = RotatingWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        RotatingWriter(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_file_rotates_by_size_and_keeps_its_count() {
        let dir = tempfile::tempdir().unwrap();
        let f = RotatingFile::open(dir.path(), "x.log", 100, 3).unwrap();
        for i in 0..20 {
            tracing_subscriber::fmt::MakeWriter::make_writer(&f)
                .write_all(format!("line {i:02} {}\n", "x".repeat(30)).as_bytes())
                .unwrap();
        }
        let mut names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(names, ["x.log", "x.log.1", "x.log.2"]);
        for name in &names {
            let len = std::fs::metadata(dir.path().join(name)).unwrap().len();
            assert!(len <= 100, "{name}: {len} bytes");
        }
        assert!(std::fs::read_to_string(dir.path().join("x.log")).unwrap().contains("line 19"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("x.log")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
