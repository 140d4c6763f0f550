//! What each error tells the shell: every error type of the library knows its exit code
//! ([`ExitStatus`]), and wrapped errors keep their type (`#[from]`) so the code comes from the
//! error itself, never from its message. docs/model.md §10 lists the codes.

/// A failed run: an invalid model, an overflow, a damaged or foreign folder, a refused output.
pub const FAILED: u8 = 1;
/// A command line that cannot run as given: a bad flag or flag value, `--where`, `--set`.
pub const USAGE: u8 = 2;
/// Stopped by Ctrl-C or SIGTERM before it finished: nothing was written.
pub const INTERRUPTED: u8 = 130;

/// The exit code an error ends the process with.
pub trait ExitStatus {
    /// [`FAILED`], [`USAGE`] or [`INTERRUPTED`].
    fn exit_code(&self) -> u8;
}
