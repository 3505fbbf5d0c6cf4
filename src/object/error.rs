//! Why an object cannot be used. Every message names the section, the symbol and the offset
//! where they apply, so a user can find the spot with `llvm-readelf`/`llvm-objdump`.

use thiserror::Error;

/// An object file the loader refuses.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ObjectError {
    /// The file could not be read.
    #[error("{path}: {message}")]
    Io { path: String, message: String },

    /// The bytes are not a usable ELF file (header, section table, string tables).
    #[error("ELF: {0}")]
    Elf(String),

    /// A section's contents are malformed.
    #[error("section \"{section}\": {message}")]
    Section { section: String, message: String },

    /// The symbol table is malformed.
    #[error("symbol table: {0}")]
    Symbols(String),

    /// A relocation cannot be applied.
    #[error("section \"{section}\": relocation at offset {offset:#x} {message}")]
    Relocation {
        section: String,
        offset: u64,
        message: String,
    },

    /// A program's text cannot be linked (bad call target, bad instruction).
    #[error("program \"{program}\" (section \"{section}\"): {message}")]
    Program {
        program: String,
        section: String,
        message: String,
    },

    /// A map definition is malformed.
    #[error("map \"{map}\" (section \"{section}\"): {message}")]
    Map {
        map: String,
        section: String,
        message: String,
    },

    /// `.BTF` or `.BTF.ext` is malformed where the loader needs it.
    #[error("BTF: {0}")]
    Btf(String),

    /// CO-RE relocations could not be applied against the target BTF.
    #[error("CO-RE: {0}")]
    Core(String),
}

impl ObjectError {
    pub(crate) fn section(section: &str, message: impl Into<String>) -> Self {
        ObjectError::Section {
            section: section.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn reloc(section: &str, offset: u64, message: impl Into<String>) -> Self {
        ObjectError::Relocation {
            section: section.to_string(),
            offset,
            message: message.into(),
        }
    }

    pub(crate) fn map(map: &str, section: &str, message: impl Into<String>) -> Self {
        ObjectError::Map {
            map: map.to_string(),
            section: section.to_string(),
            message: message.into(),
        }
    }
}
