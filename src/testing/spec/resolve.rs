//! From the TOML as written ([`super::raw`]) to a checked [`Spec`]: the object is loaded and
//! every name, size, hex string and field is checked against it, each error pointing at the
//! spec line that caused it.

use super::raw::{self, RawSpec, S};
use super::{
    Action, Case, EventExpect, Expect, MapExpect, RowFormat, Seed, Spec, SpecError, Step,
    WorldSettings, line_col,
};
use crate::engine::Engine;
use crate::maps::MapSetConfig;
use crate::object::Object;
use crate::progtype::{ProgType, skb, tracing, xdp};
use crate::session::Session;
use crate::testing::pcap::Pcap;
use crate::testing::{Harness, SysArg, events, parse_hex, syscall, verdict};
use std::path::{Path, PathBuf};

/// Turns spans into [`SpecError`]s.
struct Ctx<'a> {
    file: PathBuf,
    text: &'a str,
    dir: PathBuf,
}

impl Ctx<'_> {
    fn err_at(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> SpecError {
        let (line, col) = line_col(self.text, span.start);
        SpecError {
            file: self.file.clone(),
            line,
            col,
            message: message.into(),
            text: self.text.lines().nth(line - 1).map(|l| l.to_string()),
        }
    }

    fn err<T>(&self, s: &S<T>, message: impl Into<String>) -> SpecError {
        self.err_at(s.span(), message)
    }

    fn line<T>(&self, s: &S<T>) -> usize {
        line_col(self.text, s.span().start).0
    }

    fn path(&self, s: &S<String>) -> PathBuf {
        self.dir.join(s.get_ref())
    }

    fn read(&self, s: &S<String>) -> Result<Vec<u8>, SpecError> {
        let p = self.path(s);
        std::fs::read(&p).map_err(|e| self.err(s, format!("cannot read {}: {e}", p.display())))
    }
}

/// Loads and checks a spec file.
pub fn load(path: &Path) -> Result<Spec, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|e| SpecError {
        file: path.to_path_buf(),
        line: 0,
        col: 0,
        message: format!("cannot read the spec: {e}"),
        text: None,
    })?;
    let cx = Ctx {
        file: path.to_path_buf(),
        text: &text,
        dir: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
    };
    let raw: RawSpec = toml::from_str(&text).map_err(|e| {
        let msg = friendly(e.message().trim_end());
        match e.span() {
            Some(span) => cx.err_at(span, msg),
            None => cx.err_at(0..0, msg),
        }
    })?;
    resolve(&cx, raw)
}

fn parse_engine(cx: &Ctx<'_>, s: &Option<S<String>>, default: Engine) -> Result<Engine, SpecError> {
    match s {
        Some(e) => e.get_ref().parse().map_err(|m: String| cx.err(e, m)),
        None => Ok(default),
    }
}

fn parse_prog_type(cx: &Ctx<'_>, s: &Option<S<String>>) -> Result<Option<ProgType>, SpecError> {
    s.as_ref()
        .map(|t| {
            ProgType::from_name(t.get_ref())
                .ok_or_else(|| cx.err(t, format!("unknown program type {:?}", t.get_ref())))
        })
        .transpose()
}

fn world(cx: &Ctx<'_>, w: &Option<raw::RawWorld>) -> Result<WorldSettings, SpecError> {
    let Some(w) = w else {
        return Ok(WorldSettings::default());
    };
    Ok(WorldSettings {
        pid: w.pid,
        tgid: w.tgid,
        uid: w.uid,
        gid: w.gid,
        comm: w.comm.as_ref().map(|c| comm(cx, c)).transpose()?,
        time_ns: w.time_ns,
        clock_step_ns: w.clock_step_ns,
        cpu: w.cpu,
    })
}

fn comm(cx: &Ctx<'_>, c: &S<String>) -> Result<String, SpecError> {
    if c.get_ref().len() > 15 {
        return Err(cx.err(
            c,
            "comm is at most 15 bytes (TASK_COMM_LEN 16 with the NUL)",
        ));
    }
    Ok(c.get_ref().clone())
}

fn merge(base: &WorldSettings, over: &WorldSettings) -> WorldSettings {
    WorldSettings {
        pid: over.pid.or(base.pid),
        tgid: over
            .tgid
            .or(if over.pid.is_some() { None } else { base.tgid }),
        uid: over.uid.or(base.uid),
        gid: over.gid.or(base.gid),
        comm: over.comm.clone().or_else(|| base.comm.clone()),
        time_ns: over.time_ns.or(base.time_ns),
        clock_step_ns: over.clock_step_ns.or(base.clock_step_ns),
        cpu: over.cpu.or(base.cpu),
    }
}

fn hex(cx: &Ctx<'_>, s: &S<String>) -> Result<Vec<u8>, SpecError> {
    parse_hex(s.get_ref()).map_err(|m| cx.err(s, format!("bad hex: {m}")))
}

/// A key or value: an integer (little-endian, the map's size), a hex string, or a table /
/// list of named fields encoded through the map's BTF type.
fn map_bytes(
    cx: &Ctx<'_>,
    h: &Harness,
    map: &S<String>,
    v: &S<toml::Value>,
    is_value: bool,
) -> Result<Vec<u8>, SpecError> {
    let i = h
        .map_index(map.get_ref())
        .map_err(|e| cx.err(map, e.to_string()))?;
    let def = h.session().maps().get(i).map(|m| m.def().clone());
    let Some(def) = def else {
        return Err(cx.err(map, "map vanished"));
    };
    let (size, what) = if is_value {
        (def.value_size as usize, "value")
    } else {
        (def.key_size as usize, "key")
    };
    let bytes = match v.get_ref() {
        toml::Value::Integer(n) => {
            let n = *n as i128;
            let bits = 8 * size as u32;
            if size == 0 || size > 8 {
                return Err(cx.err(
                    v,
                    format!("an integer cannot give a {size}-byte {what}: use hex or fields"),
                ));
            }
            if bits < 64 && (n < -(1i128 << (bits - 1)) || n >= 1i128 << bits) {
                return Err(cx.err(
                    v,
                    format!("{n} does not fit in the map's {size}-byte {what}"),
                ));
            }
            n.to_le_bytes()[..size].to_vec()
        }
        toml::Value::String(s) => parse_hex(s).map_err(|m| cx.err(v, format!("bad hex: {m}")))?,
        other @ (toml::Value::Table(_) | toml::Value::Array(_)) => {
            let json = serde_json::to_value(other).map_err(|e| cx.err(v, e.to_string()))?;
            h.encode_for_map(map.get_ref(), is_value, &json)
                .map_err(|e| cx.err(v, e.to_string()))?
        }
        other => {
            return Err(cx.err(
                v,
                format!(
                    "a {what} is an integer, a hex string or a table of fields, not {}",
                    other.type_str()
                ),
            ));
        }
    };
    if bytes.len() != size {
        return Err(cx.err(
            v,
            format!(
                "wrong {what} size: {} bytes given, map {} has {size}-byte {what}s",
                bytes.len(),
                map.get_ref()
            ),
        ));
    }
    Ok(bytes)
}

fn seeds(cx: &Ctx<'_>, h: &Harness, raw: &[raw::RawSeed]) -> Result<Vec<Seed>, SpecError> {
    raw.iter()
        .map(|s| {
            Ok(Seed {
                map: s.map.get_ref().clone(),
                key: map_bytes(cx, h, &s.map, &s.key, false)?,
                value: map_bytes(cx, h, &s.map, &s.value, true)?,
            })
        })
        .collect()
}

fn check_program(cx: &Ctx<'_>, obj: &Object, p: &S<String>) -> Result<String, SpecError> {
    if obj.programs.iter().any(|q| &q.name == p.get_ref()) {
        return Ok(p.get_ref().clone());
    }
    let names: Vec<&str> = obj.programs.iter().map(|q| q.name.as_str()).collect();
    Err(cx.err(
        p,
        format!(
            "unknown program {:?} (the object has: {})",
            p.get_ref(),
            names.join(", ")
        ),
    ))
}

fn int_word(cx: &Ctx<'_>, v: &S<toml::Value>) -> Result<u64, SpecError> {
    match v.get_ref() {
        toml::Value::Integer(n) => Ok(*n as u64),
        toml::Value::Boolean(b) => Ok(u64::from(*b)),
        toml::Value::String(s) if crate::testing::hex_number(s).is_some() => {
            Ok(crate::testing::hex_number(s).unwrap_or(0))
        }
        other => Err(cx.err(
            v,
            format!("expected an integer, found a {}", other.type_str()),
        )),
    }
}

/// Named context fields: `struct __sk_buff` or `struct xdp_md` u32 fields by name.
fn ctx_fields(cx: &Ctx<'_>, t: ProgType, table: &S<toml::Table>) -> Result<Vec<u8>, SpecError> {
    type Lookup = Box<dyn Fn(&str) -> Option<u32>>;
    let (size, lookup): (usize, Lookup) = if t == ProgType::Xdp {
        (
            xdp::XDP_CTX_SIZE,
            Box::new(|n: &str| match n {
                "ingress_ifindex" => Some(xdp::off::INGRESS_IFINDEX),
                "rx_queue_index" => Some(xdp::off::RX_QUEUE_INDEX),
                "egress_ifindex" => Some(xdp::off::EGRESS_IFINDEX),
                _ => None,
            }),
        )
    } else if skb::is_skb_type(t) {
        (
            skb::SKB_CTX_SIZE,
            Box::new(|n: &str| {
                (0..skb::SKB_CTX_SIZE as u32)
                    .step_by(4)
                    .find(|&o| skb::field_name(o) == n && (o == 0 || skb::field_name(o - 4) != n))
            }),
        )
    } else {
        return Err(cx.err(
            table,
            format!(
                "named context fields are for xdp and __sk_buff programs, not {}: use ctx_hex",
                t.name()
            ),
        ));
    };
    let mut blob = vec![0u8; size];
    for (name, v) in table.get_ref() {
        let off = lookup(name).ok_or_else(|| {
            cx.err(
                table,
                format!("unknown context field {name:?} for {}", t.name()),
            )
        })? as usize;
        let n = v
            .as_integer()
            .ok_or_else(|| cx.err(table, format!("context field {name} must be an integer")))?;
        blob[off..off + 4].copy_from_slice(&(n as u32).to_le_bytes());
    }
    Ok(blob)
}

fn resolve(cx: &Ctx<'_>, raw: RawSpec) -> Result<Spec, SpecError> {
    let object_path = cx.path(&raw.object);
    let mut object = Object::from_file(&object_path).map_err(|e| {
        cx.err(
            &raw.object,
            format!("cannot load {}: {e}", object_path.display()),
        )
    })?;
    let spec_type = parse_prog_type(cx, &raw.prog_type)?;
    if let Some(t) = spec_type {
        for p in &mut object.programs {
            p.set_prog_type(t);
        }
    }
    let session = Session::new(object.clone(), MapSetConfig::default())
        .map_err(|e| cx.err(&raw.object, e.to_string()))?;
    let mut h = Harness::from_session(session, object_path.clone());
    let event_type = match &raw.event_type {
        Some(t) => {
            match &raw.event_map {
                Some(m) => {
                    h.set_event_type(m.get_ref(), t.get_ref())
                        .map_err(|e| cx.err(m, e.to_string()))?;
                    if !h
                        .session()
                        .maps()
                        .get(h.map_index(m.get_ref()).unwrap_or(0))
                        .is_some_and(|mm| events::is_event_map(mm.map_type()))
                    {
                        return Err(cx.err(
                            m,
                            format!(
                                "map {} is not a ring buffer or perf event array",
                                m.get_ref()
                            ),
                        ));
                    }
                }
                None => h
                    .set_event_type_all(t.get_ref())
                    .map_err(|e| cx.err(t, e.to_string()))?,
            }
            Some((
                raw.event_map.as_ref().map(|m| m.get_ref().clone()),
                t.get_ref().clone(),
            ))
        }
        None => None,
    };
    let print = raw
        .print
        .as_ref()
        .map(|p| RowFormat::parse(p.header.clone(), p.row.get_ref()).map_err(|m| cx.err(&p.row, m)))
        .transpose()?;
    let engine = parse_engine(cx, &raw.engine, Engine::Interp)?;
    let spec_world = world(cx, &raw.world)?;
    let spec_seeds = seeds(cx, &h, &raw.maps)?;
    let default_program = raw
        .program
        .as_ref()
        .map(|p| check_program(cx, &object, p))
        .transpose()?;
    if raw.cases.is_empty() {
        return Err(cx.err_at(0..0, "the spec has no [[case]]"));
    }
    let mut cases = Vec::new();
    for rc in &raw.cases {
        let c = rc.get_ref();
        let case_type = parse_prog_type(cx, &c.prog_type)?.or(spec_type);
        let program = match &c.program {
            Some(p) => Some(check_program(cx, &object, p)?),
            None => default_program.clone(),
        };
        let prog_type_of = |name: &str| {
            case_type.or_else(|| {
                object
                    .programs
                    .iter()
                    .find(|p| p.name == name)
                    .map(|p| p.prog_type)
            })
        };
        let need_program = || {
            program
                .clone()
                .or_else(|| match object.programs.as_slice() {
                    [only] => Some(only.name.clone()),
                    _ => None,
                })
                .ok_or_else(|| {
                    cx.err(&c.name, format!(
                "which program? give `program =` in the case or at the top (the object has: {})",
                object.programs.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
            ))
                })
        };
        let inputs = [
            c.packet.is_some() || c.packet_file.is_some() || c.ctx.is_some() || c.ctx_hex.is_some(),
            c.pcap.is_some(),
            !c.syscalls.is_empty() || !c.tracepoints.is_empty() || !c.kprobes.is_empty(),
        ];
        if inputs.iter().filter(|b| **b).count() > 1 {
            return Err(cx.err(
                &c.name,
                "a case has one kind of input: a packet/context, a pcap, or syscalls/tracepoints",
            ));
        }
        if c.packet.is_some() && c.packet_file.is_some() {
            return Err(cx.err(&c.name, "give packet or packet_file, not both"));
        }
        let action = if let Some(pc) = &c.pcap {
            let program = need_program()?;
            let bytes = cx.read(pc)?;
            let cap = Pcap::parse(&bytes)
                .map_err(|e| cx.err(pc, format!("{}: {e}", cx.path(pc).display())))?;
            Action::Pcap {
                program,
                packets: cap.packets.into_iter().map(|p| p.data).collect(),
            }
        } else if !c.syscalls.is_empty() || !c.tracepoints.is_empty() || !c.kprobes.is_empty() {
            let kinds = [
                !c.syscalls.is_empty(),
                !c.tracepoints.is_empty(),
                !c.kprobes.is_empty(),
            ];
            if kinds.iter().filter(|k| **k).count() > 1 {
                return Err(cx.err(
                    &c.name,
                    "give one of syscalls, tracepoints or kprobes (one order)",
                ));
            }
            let mut steps = Vec::new();
            for s in &c.syscalls {
                let sc = s.get_ref();
                let name = sc.name.get_ref();
                let has = |enter| {
                    let secs = syscall::sections(name, enter);
                    object.programs.iter().any(|p| secs.contains(&p.section))
                };
                if !has(true) && !has(false) {
                    return Err(cx.err(&sc.name, format!("no program of the object traces syscall {name} (sections tracepoint/syscalls/sys_enter_{name} or sys_exit_{name})")));
                }
                let nr = match sc.nr.or_else(|| syscall::syscall_nr(name)) {
                    Some(n) => n,
                    None => {
                        return Err(cx.err(
                            &sc.name,
                            format!("unknown syscall number for {name}: give nr ="),
                        ));
                    }
                };
                let enter = match sc.phase.as_ref().map(|p| (p, p.get_ref().as_str())) {
                    None | Some((_, "both")) | Some((_, "enter")) => true,
                    Some((_, "exit")) => false,
                    Some((p, other)) => {
                        return Err(
                            cx.err(p, format!("phase is enter, exit or both, not {other:?}"))
                        );
                    }
                };
                let exit_only_enter = sc.phase.as_ref().is_some_and(|p| p.get_ref() == "enter");
                if exit_only_enter && sc.ret.is_some() {
                    return Err(cx.err(s, "phase = \"enter\" takes no ret"));
                }
                if !enter && sc.ret.is_none() {
                    return Err(cx.err(s, "phase = \"exit\" needs ret"));
                }
                if sc.args.len() > 6 {
                    return Err(cx.err(&sc.args[6], "a syscall has at most 6 arguments"));
                }
                let args = sc
                    .args
                    .iter()
                    .map(|a| match a.get_ref() {
                        toml::Value::String(s) => Ok(match crate::testing::hex_number(s) {
                            Some(n) => SysArg::Int(n),
                            None => SysArg::Str(s.clone()),
                        }),
                        _ => int_word(cx, a).map(SysArg::Int),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let w = WorldSettings {
                    pid: sc.pid,
                    tgid: sc.tgid,
                    uid: sc.uid,
                    gid: sc.gid,
                    comm: sc.comm.as_ref().map(|x| comm(cx, x)).transpose()?,
                    time_ns: sc.time_ns,
                    ..WorldSettings::default()
                };
                steps.push(Step::Syscall {
                    world: w,
                    name: name.clone(),
                    nr,
                    args,
                    ret: if exit_only_enter { None } else { sc.ret },
                    enter,
                });
            }
            for t in &c.tracepoints {
                let tp = t.get_ref();
                let program = check_program(cx, &object, &tp.program)?;
                let ctx = match &tp.ctx_hex {
                    Some(hx) => {
                        if !tp.args.is_empty() {
                            return Err(cx.err(hx, "give args or ctx_hex, not both"));
                        }
                        hex(cx, hx)?
                    }
                    None => {
                        let mut r = vec![0u8; 8];
                        for a in &tp.args {
                            r.extend_from_slice(&int_word(cx, a)?.to_le_bytes());
                        }
                        r
                    }
                };
                let w = WorldSettings {
                    pid: tp.pid,
                    tgid: tp.tgid,
                    comm: tp.comm.as_ref().map(|x| comm(cx, x)).transpose()?,
                    time_ns: tp.time_ns,
                    ..WorldSettings::default()
                };
                steps.push(Step::Tracepoint {
                    world: w,
                    program,
                    ctx,
                });
            }
            for k in &c.kprobes {
                let kp = k.get_ref();
                let program = check_program(cx, &object, &kp.program)?;
                let mut words = Vec::new();
                for (name, v) in kp.regs.get_ref() {
                    let off = crate::testing::syscall::pt_reg_offset(name).ok_or_else(|| {
                        cx.err(&kp.regs, format!("unknown register {name:?} (x86-64 pt_regs: di, si, dx, cx, r8, r9, ax, bx, bp, sp, ip, r10..r15, orig_ax, cs, flags, ss)"))
                    })?;
                    let arg = match v {
                        toml::Value::String(s) => match crate::testing::hex_number(s) {
                            Some(n) => SysArg::Int(n),
                            None => SysArg::Str(s.clone()),
                        },
                        toml::Value::Integer(n) => SysArg::Int(*n as u64),
                        other => {
                            return Err(cx.err(
                                &kp.regs,
                                format!(
                                    "register {name} must be an integer or a string, not {}",
                                    other.type_str()
                                ),
                            ));
                        }
                    };
                    words.push((off, arg));
                }
                let w = WorldSettings {
                    pid: kp.pid,
                    tgid: kp.tgid,
                    comm: kp.comm.as_ref().map(|x| comm(cx, x)).transpose()?,
                    time_ns: kp.time_ns,
                    ..WorldSettings::default()
                };
                steps.push(Step::Words {
                    world: w,
                    program,
                    size: tracing::PT_REGS_SIZE,
                    words,
                });
            }
            Action::Steps(steps)
        } else {
            let program = need_program()?;
            let data = match (&c.packet, &c.packet_file) {
                (Some(p), _) => hex(cx, p)?,
                (None, Some(f)) => cx.read(f)?,
                (None, None) => Vec::new(),
            };
            let ctx = match (&c.ctx, &c.ctx_hex) {
                (Some(t), Some(_)) => return Err(cx.err(t, "give ctx or ctx_hex, not both")),
                (Some(t), None) => {
                    let ty = prog_type_of(&program).unwrap_or(ProgType::Unspec);
                    Some(ctx_fields(cx, ty, t)?)
                }
                (None, Some(hx)) => Some(hex(cx, hx)?),
                (None, None) => None,
            };
            Action::Run {
                program,
                data,
                ctx,
                repeat: c.repeat.unwrap_or(1),
            }
        };
        let mut case_seeds = spec_seeds.clone();
        case_seeds.extend(seeds(cx, &h, &c.maps)?);
        let expect = match &c.expect {
            Some(e) => expect(cx, &h, e, &action, &prog_type_of)?,
            None => Expect::default(),
        };
        cases.push(Case {
            name: c.name.get_ref().clone(),
            line: cx.line(&c.name),
            engine: parse_engine(cx, &c.engine, engine)?,
            prog_type: case_type,
            world: merge(&spec_world, &world(cx, &c.world)?),
            seeds: case_seeds,
            action,
            expect,
        });
    }
    Ok(Spec {
        path: cx.file.clone(),
        object_path,
        object,
        event_type,
        verify: raw.verify.unwrap_or(true),
        print,
        cases,
    })
}

fn expect(
    cx: &Ctx<'_>,
    h: &Harness,
    e: &raw::RawExpect,
    action: &Action,
    prog_type_of: &dyn Fn(&str) -> Option<ProgType>,
) -> Result<Expect, SpecError> {
    let retval = e
        .retval
        .as_ref()
        .map(|r| {
            if matches!(action, Action::Steps(_)) {
                return Err(cx.err(r, "retval is checked for packet/context runs; tracing steps check events and maps"));
            }
            match r.get_ref() {
                toml::Value::Integer(n) => Ok(*n as u32),
                toml::Value::String(s) => verdict::parse(s)
                    .map(|v| v as u32)
                    .ok_or_else(|| cx.err(r, format!("unknown verdict {s:?} (XDP_PASS, TC_ACT_SHOT, ... or a number)"))),
                other => Err(cx.err(r, format!("retval is a number or a verdict name, not a {}", other.type_str()))),
            }
        })
        .transpose()?;
    let packet = e.packet.as_ref().map(|p| hex(cx, p)).transpose()?;
    let mut maps = Vec::new();
    for m in &e.maps {
        let key = map_bytes(cx, h, &m.map, &m.key, false)?;
        let value = match (&m.value, m.absent) {
            (Some(v), None | Some(false)) => Some(map_bytes(cx, h, &m.map, v, true)?),
            (None, Some(true)) => None,
            (Some(v), Some(true)) => return Err(cx.err(v, "a value for an entry expected absent")),
            (None, _) => return Err(cx.err(&m.map, "give value = ... or absent = true")),
        };
        maps.push(MapExpect {
            map: m.map.get_ref().clone(),
            key,
            value,
            line: cx.line(&m.map),
        });
    }
    let events = e
        .events
        .as_ref()
        .map(|list| {
            list.get_ref()
                .iter()
                .map(|t| {
                    let fields = t
                        .get_ref()
                        .iter()
                        .map(|(k, v)| {
                            serde_json::to_value(v)
                                .map(|j| (k.clone(), j))
                                .map_err(|err| cx.err(t, err.to_string()))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok(EventExpect {
                        fields,
                        line: cx.line(t),
                    })
                })
                .collect::<Result<Vec<_>, SpecError>>()
        })
        .transpose()?;
    let verdicts = e
        .verdicts
        .as_ref()
        .map(|v| {
            let Action::Pcap { program, .. } = action else {
                return Err(cx.err(v, "verdicts are counted over a pcap: give pcap = \"...\""));
            };
            let _ = prog_type_of(program);
            v.get_ref()
                .iter()
                .map(|(k, n)| {
                    let count = n.as_integer().filter(|c| *c >= 0).ok_or_else(|| {
                        cx.err(
                            v,
                            format!("verdict count for {k} must be a non-negative integer"),
                        )
                    })?;
                    if verdict::parse(k).is_none()
                        && k.parse::<u32>().is_err()
                        && !k.starts_with("refused")
                    {
                        return Err(cx.err(v, format!("unknown verdict {k:?}")));
                    }
                    Ok((k.clone(), count as u64))
                })
                .collect()
        })
        .transpose()?;
    let retvals = e
        .retvals
        .as_ref()
        .map(|list| {
            let Action::Pcap { program, packets } = action else {
                return Err(cx.err(
                    list,
                    "retvals lists a pcap's verdicts: give pcap = \"...\" (one run: retval =)",
                ));
            };
            if list.get_ref().len() != packets.len() {
                return Err(cx.err(
                    list,
                    format!(
                        "{} retvals for {} packets in the pcap",
                        list.get_ref().len(),
                        packets.len()
                    ),
                ));
            }
            let t = prog_type_of(program).unwrap_or(ProgType::Unspec);
            list.get_ref()
                .iter()
                .map(|v| match v.get_ref() {
                    toml::Value::Integer(n) => Ok(verdict::name(t, *n as u32)),
                    toml::Value::String(s)
                        if verdict::parse(s).is_some() || s.starts_with("refused") =>
                    {
                        Ok(s.clone())
                    }
                    other => Err(cx.err(
                        v,
                        format!(
                            "{other:?} is not a verdict (XDP_PASS, TC_ACT_OK, ... or a number)"
                        ),
                    )),
                })
                .collect()
        })
        .transpose()?;
    Ok(Expect {
        retvals,
        retval,
        packet,
        maps,
        events,
        printk: e.printk.as_ref().map(|p| p.get_ref().clone()),
        verdicts,
    })
}

/// serde's messages name this module's structs; say which spec table they are.
fn friendly(msg: &str) -> String {
    const NAMES: [(&str, &str); 10] = [
        ("struct RawSpec", "the spec's top level"),
        ("struct RawCase", "a [[case]] table"),
        (
            "struct RawExpect",
            "a [case.expect] table (one per case: [case.expect], not [[case.expect]])",
        ),
        ("struct RawMapExpect", "a [[case.expect.maps]] table"),
        ("struct RawSeed", "a [[maps]] seed table"),
        ("struct RawSyscall", "a [[case.syscalls]] table"),
        ("struct RawTracepoint", "a [[case.tracepoints]] table"),
        ("struct RawKprobe", "a [[case.kprobes]] table"),
        ("struct RawWorld", "a [world] table"),
        ("struct RawPrint", "the [print] table"),
    ];
    let mut out = msg.to_string();
    for (from, to) in NAMES {
        out = out.replace(from, to);
    }
    out
}
