//! Which engine runs a program: the interpreter ([`crate::vm`]) or the x86-64 JIT
//! ([`crate::jit`]). Every place that runs a program takes an [`Engine`]: the
//! library's [`crate::session::Session::set_engine`], `bpfsim run --engine`, the
//! conformance plugin's `--interp`/`--jit` and spec files' `engine =`.

use std::fmt;
use std::str::FromStr;

/// The engine that runs a program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Engine {
    /// The interpreter: every memory access checked against the live regions.
    #[default]
    Interp,
    /// The x86-64 JIT.
    Jit,
}

impl Engine {
    /// The name used on command lines and in spec files.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Interp => "interp",
            Engine::Jit => "jit",
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Engine {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "interp" | "interpreter" => Ok(Engine::Interp),
            "jit" => Ok(Engine::Jit),
            other => Err(format!(
                "unknown engine {other:?} (expected \"interp\" or \"jit\")"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in [Engine::Interp, Engine::Jit] {
            assert_eq!(e.name().parse::<Engine>(), Ok(e));
        }
        assert!("wasm".parse::<Engine>().is_err());
    }
}
