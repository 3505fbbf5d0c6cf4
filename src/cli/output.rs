//! Standard output for the subcommands: `out!` and `outln!` write like `print!` and
//! `println!`, except that a reader that went away (`bpfsim ... | head -1`) ends the process
//! quietly with exit 0, as Unix tools end on SIGPIPE, instead of `println!`'s panic. Any
//! other write error is reported on stderr with exit 2.

use std::fmt;
use std::io::{ErrorKind, Write};

/// Writes `args` (and a newline when `newline`) to stdout, or ends the process.
pub fn write(args: fmt::Arguments<'_>, newline: bool) {
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| {
        if newline {
            out.write_all(b"\n")
        } else {
            Ok(())
        }
    });
    if let Err(e) = written {
        if e.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("bpfsim: writing the output: {e}");
        std::process::exit(2);
    }
}

/// `print!` that ends quietly on a closed pipe (see the module doc).
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::output::write(format_args!($($arg)*), false) };
}

/// `println!` that ends quietly on a closed pipe (see the module doc).
macro_rules! outln {
    () => { $crate::cli::output::write(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::cli::output::write(format_args!($($arg)*), true) };
}
