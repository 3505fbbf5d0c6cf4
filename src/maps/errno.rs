//! The kernel's error numbers as maps report them, and [`MapError`], the error a map's creation
//! fails with.

use std::fmt;

use thiserror::Error;

use super::def::MapType;

/// An error number with the kernel's value. Map operations fail with one of these exactly where
/// the kernel's `bpf()` syscall or helper would; [`Errno::as_neg_i64`] gives a helper's return
/// value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Errno {
    EPERM,
    ENOENT,
    E2BIG,
    EBADF,
    EAGAIN,
    ENOMEM,
    EFAULT,
    EBUSY,
    EEXIST,
    ENODEV,
    EINVAL,
    ENOSPC,
    EOVERFLOW,
    ENOTSOCK,
    EOPNOTSUPP,
    /// The kernel-internal `ENOTSUPP` (524), which `bpf()` does return for some map operations.
    ENOTSUPP,
}

impl Errno {
    /// The positive kernel number (`ENOENT` = 2).
    pub fn code(self) -> i32 {
        match self {
            Errno::EPERM => 1,
            Errno::ENOENT => 2,
            Errno::E2BIG => 7,
            Errno::EBADF => 9,
            Errno::EAGAIN => 11,
            Errno::ENOMEM => 12,
            Errno::EFAULT => 14,
            Errno::EBUSY => 16,
            Errno::EEXIST => 17,
            Errno::ENODEV => 19,
            Errno::EINVAL => 22,
            Errno::ENOSPC => 28,
            Errno::EOVERFLOW => 75,
            Errno::ENOTSOCK => 88,
            Errno::EOPNOTSUPP => 95,
            Errno::ENOTSUPP => 524,
        }
    }

    /// What a helper returns for this error: `-code` (`-2` for `ENOENT`).
    pub fn as_neg_i64(self) -> i64 {
        -i64::from(self.code())
    }

    /// The symbolic name (`"ENOENT"`).
    pub fn name(self) -> &'static str {
        match self {
            Errno::EPERM => "EPERM",
            Errno::ENOENT => "ENOENT",
            Errno::E2BIG => "E2BIG",
            Errno::EBADF => "EBADF",
            Errno::EAGAIN => "EAGAIN",
            Errno::ENOMEM => "ENOMEM",
            Errno::EFAULT => "EFAULT",
            Errno::EBUSY => "EBUSY",
            Errno::EEXIST => "EEXIST",
            Errno::ENODEV => "ENODEV",
            Errno::EINVAL => "EINVAL",
            Errno::ENOSPC => "ENOSPC",
            Errno::EOVERFLOW => "EOVERFLOW",
            Errno::ENOTSOCK => "ENOTSOCK",
            Errno::EOPNOTSUPP => "EOPNOTSUPP",
            Errno::ENOTSUPP => "ENOTSUPP",
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.code())
    }
}

/// Why a map could not be created.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum MapError {
    /// The kernel's `BPF_MAP_CREATE` would refuse this definition with `errno`.
    #[error("map `{name}`: {reason}: {errno}")]
    Create {
        name: String,
        errno: Errno,
        reason: String,
    },
    /// A map type the kernel knows but bpfsim does not simulate.
    #[error("map `{name}`: unsupported map type {map_type}")]
    Unsupported { name: String, map_type: MapType },
}

impl MapError {
    /// The map's name.
    pub fn name(&self) -> &str {
        match self {
            MapError::Create { name, .. } | MapError::Unsupported { name, .. } => name,
        }
    }

    /// The error number: the kernel's for [`MapError::Create`], `ENOTSUPP` for an unsupported
    /// type.
    pub fn errno(&self) -> Errno {
        match self {
            MapError::Create { errno, .. } => *errno,
            MapError::Unsupported { .. } => Errno::ENOTSUPP,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_display() {
        assert_eq!(Errno::ENOENT.as_neg_i64(), -2);
        assert_eq!(Errno::ENOTSUPP.code(), 524);
        assert_eq!(Errno::E2BIG.to_string(), "E2BIG (7)");
        let e = MapError::Create {
            name: "m".into(),
            errno: Errno::EINVAL,
            reason: "key_size must be 4".into(),
        };
        assert_eq!(e.to_string(), "map `m`: key_size must be 4: EINVAL (22)");
        assert_eq!(e.errno(), Errno::EINVAL);
        assert_eq!(e.name(), "m");
    }
}
