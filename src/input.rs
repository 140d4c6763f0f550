//! Reading the files a user names: model files, the files they `extends`, `empirical` data,
//! run folders' CSVs and manifests.
//!
//! Only regular files are read (a FIFO would block forever and a device such as /dev/zero
//! never ends), and only up to a stated size, so a wrong path is an error rather than a hang or
//! an allocation that aborts. Errors are `std::io::Error`s whose text says what the file is
//! instead, so every caller's "cannot read PATH: ..." message stays as it is.

use std::io::Read;
use std::path::Path;

/// The largest input file boomsim reads: 256 MiB (a model file is a few KiB; an empirical
/// column of ten million numbers is about 100 MiB).
pub const MAX_INPUT_BYTES: u64 = 256 << 20;

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, message)
}

/// What a path that is not a regular file is, for messages.
fn kind(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// The bytes of the regular file at `path` (symbolic links followed), at most `limit` bytes.
pub fn read_limited(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    // Look before opening: opening a FIFO for reading blocks until a writer appears.
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(invalid(format!(
            "it is {}; boomsim reads only regular files",
            kind(&meta)
        )));
    }
    let too_large = || {
        invalid(format!(
            "it is larger than {} MiB, the most boomsim reads",
            limit >> 20
        ))
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow while it is read: never read more than the limit.
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// [`read_limited`] with [`MAX_INPUT_BYTES`].
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    read_limited(path, MAX_INPUT_BYTES)
}

/// [`read`] as UTF-8 text.
pub fn read_to_string(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read(path)?).map_err(|e| {
        invalid(format!(
            "it is not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_regular_files_and_refuses_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.toml");
        std::fs::write(&path, "abc").unwrap();
        assert_eq!(read(&path).unwrap(), b"abc");
        let e = read(dir.path()).unwrap_err();
        assert!(e.to_string().contains("a folder"), "{e}");
        let e = read_limited(&path, 2).unwrap_err();
        assert!(e.to_string().contains("larger than"), "{e}");
        #[cfg(unix)]
        {
            let e = read(Path::new("/dev/zero")).unwrap_err();
            assert!(e.to_string().contains("a device"), "{e}");
            let fifo = dir.path().join("fifo");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            if made.is_ok_and(|s| s.success()) {
                // Would block forever if it were opened.
                let e = read(&fifo).unwrap_err();
                assert!(e.to_string().contains("FIFO"), "{e}");
            }
        }
    }
}
