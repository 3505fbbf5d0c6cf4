//! `bpfsim inspect`: what the loader makes of an object file — programs, maps, BTF and line
//! info — as text or one JSON object.

use super::CliError;
use crate::object::{Object, ProgTypeSource};
use crate::progtype::ProgType;
use clap::Args;
use serde_json::json;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The BPF ELF object.
    #[arg(value_name = "OBJ")]
    pub object: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Program type for every program, in libbpf's names (`xdp`, `socket_filter`,
    /// `sched_cls`, `kprobe`, ...); needed where the section name does not say it.
    #[arg(long, value_name = "TYPE")]
    pub prog_type: Option<String>,
}

fn source_name(s: ProgTypeSource) -> &'static str {
    match s {
        ProgTypeSource::Section => "section",
        ProgTypeSource::LegacyPrefix => "legacy-prefix",
        ProgTypeSource::Default => "default",
        ProgTypeSource::User => "user",
    }
}

pub fn inspect(a: InspectArgs) -> Result<(), CliError> {
    let mut obj = Object::from_file(&a.object)
        .map_err(|e| CliError::Input(format!("{}: {e}", a.object.display())))?;
    if let Some(name) = &a.prog_type {
        let t = ProgType::from_name(name)
            .ok_or_else(|| CliError::Input(format!("unknown program type \"{name}\"")))?;
        for p in &mut obj.programs {
            p.set_prog_type(t);
        }
    }
    let file = a.object.display().to_string();
    if a.json {
        let programs: Vec<_> = obj
            .programs
            .iter()
            .map(|p| {
                json!({
                    "name": p.name,
                    "section": p.section,
                    "prog_type": p.prog_type.name(),
                    "prog_type_source": source_name(p.prog_type_source),
                    "expected_attach_type": p.expected_attach_type,
                    "insns": p.insns.len(),
                    "entry_insns": p.entry_len,
                    "subprogs": p.subprogs.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
                    "line_info": p.line_info.len(),
                    "externs": p.externs.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
                })
            })
            .collect();
        let maps: Vec<_> = obj
            .maps
            .iter()
            .map(|m| {
                json!({
                    "name": m.name,
                    "type": m.map_type.name(),
                    "key_size": m.key_size,
                    "value_size": m.value_size,
                    "max_entries": m.max_entries,
                    "flags": m.map_flags,
                    "inner": m.inner.as_ref().map(|i| i.name.as_str()),
                })
            })
            .collect();
        let out = json!({
            "file": file,
            "programs": programs,
            "maps": maps,
            "btf": obj.btf.is_some(),
            "line_info": obj.has_line_info,
            "license": obj.license,
            "kernel_version": obj.kernel_version,
            "core_relocations": obj.core_relocations,
            "warnings": obj.warnings,
        });
        outln!("{out}");
        return Ok(());
    }

    outln!("{file}");
    outln!("  license: {}", obj.license.as_deref().unwrap_or("(none)"));
    outln!(
        "  BTF: {}, line info: {}, CO-RE relocations: {}{}",
        if obj.btf.is_some() { "yes" } else { "no" },
        if obj.has_line_info { "yes" } else { "no" },
        obj.core_relocations,
        if obj.core_relocations > 0 && !obj.core_applied {
            " (not applied)"
        } else {
            ""
        }
    );
    outln!("programs ({}):", obj.programs.len());
    for p in &obj.programs {
        let subs = if p.subprogs.is_empty() {
            String::new()
        } else {
            format!(
                " ({} + {})",
                p.entry_len,
                p.subprogs
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let source = match p.prog_type_source {
            ProgTypeSource::Section => String::new(),
            s => format!(" [{}]", source_name(s)),
        };
        outln!(
            "  {:<24} {:<28} {:<16} {} insns{subs}",
            p.name,
            p.section,
            format!("{}{source}", p.prog_type),
            p.insns.len()
        );
        for e in &p.externs {
            outln!("    insn {}: extern {} ({:?})", e.insn, e.name, e.kind);
        }
    }
    outln!("maps ({}):", obj.maps.len());
    for m in &obj.maps {
        let inner = m
            .inner
            .as_ref()
            .map(|i| format!(" inner={}", i.name))
            .unwrap_or_default();
        outln!(
            "  {:<24} {:<16} key {:<4} value {:<6} max_entries {:<8} flags {:#x}{inner}",
            m.name,
            m.map_type.name(),
            m.key_size,
            m.value_size,
            m.max_entries,
            m.map_flags
        );
    }
    for w in &obj.warnings {
        outln!("warning: {w}");
    }
    Ok(())
}
