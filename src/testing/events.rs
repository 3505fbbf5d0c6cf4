//! What programs send to user space through ring buffers (`bpf_ringbuf_output`/`submit`)
//! and perf event arrays (`bpf_perf_event_output`), collected after each run in the order
//! they were written (per map; maps in object order), and decoded through the object's BTF
//! into named fields when the event's type is known.

use super::btfvalue::{self, Record};
use crate::maps::MapType;
use crate::object::btf::{BtfKind, BtfTypes};
use crate::session::Session;
use serde_json::json;

/// One record a program sent to user space.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The map it went through.
    pub map: String,
    /// For perf event arrays: the CPU (slot) it was written to.
    pub cpu: Option<usize>,
    /// The record's bytes.
    pub data: Vec<u8>,
    /// The record decoded through BTF, when its type is known; `None` otherwise (or when the
    /// record is shorter than the type, see `error`).
    pub fields: Option<Record>,
    /// Why `fields` is `None` although a type was named.
    pub error: Option<String>,
}

impl Event {
    /// One JSON object: `{"map", "cpu"?, "fields"}` or `{"map", "data"}` (hex) when
    /// undecoded.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = json!({ "map": self.map });
        if let Some(cpu) = self.cpu {
            v["cpu"] = json!(cpu);
        }
        match &self.fields {
            Some(r) => v["fields"] = r.0.clone(),
            None => v["data"] = json!(super::hex(&self.data)),
        }
        v
    }
}

/// Whether a map carries events.
pub fn is_event_map(t: MapType) -> bool {
    matches!(t, MapType::RingBuf | MapType::PerfEventArray)
}

/// Looks a type up by name in the object's BTF: a struct, union or typedef (`struct event`,
/// `event`). Returns its id.
pub fn find_type(btf: &BtfTypes, name: &str) -> Option<u32> {
    let name = name
        .strip_prefix("struct ")
        .or_else(|| name.strip_prefix("union "))
        .unwrap_or(name);
    [BtfKind::Struct, BtfKind::Union, BtfKind::Typedef]
        .into_iter()
        .find_map(|k| btf.find(k, name))
}

/// Takes the events every ring buffer and perf event array of the session holds, decoding
/// each with `type_of(map name)` (a BTF type id).
pub fn drain(session: &mut Session, type_of: &dyn Fn(&str) -> Option<u32>) -> Vec<Event> {
    let mut raw = Vec::new();
    let maps = session.maps_mut();
    for i in 0..maps.len() {
        let Some(m) = maps.get_mut(i) else { continue };
        let name = m.name().to_string();
        match m.map_type() {
            MapType::RingBuf => {
                raw.extend(m.consume().into_iter().map(|d| (name.clone(), None, d)));
            }
            MapType::PerfEventArray => {
                raw.extend(
                    m.take_perf_events()
                        .into_iter()
                        .map(|e| (name.clone(), Some(e.cpu), e.data)),
                );
            }
            _ => {}
        }
    }
    let btf = session.object().btf.as_ref().map(|b| &b.types);
    raw.into_iter()
        .map(|(map, cpu, data)| {
            let decoded = match (btf, type_of(&map)) {
                (Some(btf), Some(id)) => Some(btfvalue::decode(btf, id, &data)),
                _ => None,
            };
            let (fields, error) = match decoded {
                Some(Ok(v)) => (Some(Record(v)), None),
                Some(Err(e)) => (None, Some(e)),
                None => (None, None),
            };
            Event {
                map,
                cpu,
                data,
                fields,
                error,
            }
        })
        .collect()
}
