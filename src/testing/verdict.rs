//! Return values by name: `XDP_PASS`, `TC_ACT_SHOT`, ... for the packet program types, both
//! ways (for reports and for spec files).

use crate::progtype::ProgType;
use crate::progtype::skb::is_skb_type;

const XDP: [(&str, i64); 5] = [
    ("XDP_ABORTED", 0),
    ("XDP_DROP", 1),
    ("XDP_PASS", 2),
    ("XDP_TX", 3),
    ("XDP_REDIRECT", 4),
];

const TC: [(&str, i64); 9] = [
    ("TC_ACT_UNSPEC", -1),
    ("TC_ACT_OK", 0),
    ("TC_ACT_RECLASSIFY", 1),
    ("TC_ACT_SHOT", 2),
    ("TC_ACT_PIPE", 3),
    ("TC_ACT_STOLEN", 4),
    ("TC_ACT_QUEUED", 5),
    ("TC_ACT_REPEAT", 6),
    ("TC_ACT_REDIRECT", 7),
];

fn table(t: ProgType) -> &'static [(&'static str, i64)] {
    match t {
        ProgType::Xdp => &XDP,
        ProgType::SchedCls | ProgType::SchedAct => &TC,
        _ => &[],
    }
}

/// The name of a return value for programs of type `t`, or the number.
pub fn name(t: ProgType, retval: u32) -> String {
    table(t)
        .iter()
        .find(|(_, v)| *v as u32 == retval)
        .map_or_else(|| retval.to_string(), |(n, _)| (*n).to_string())
}

/// Parses a verdict name (any known one) to its number.
pub fn parse(name: &str) -> Option<i64> {
    XDP.iter()
        .chain(TC.iter())
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
}

/// Whether programs of type `t` see packets (and so can run over a pcap).
pub fn is_packet_type(t: ProgType) -> bool {
    t == ProgType::Xdp || is_skb_type(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name(ProgType::Xdp, 1), "XDP_DROP");
        assert_eq!(name(ProgType::SchedCls, u32::MAX), "TC_ACT_UNSPEC");
        assert_eq!(name(ProgType::Kprobe, 7), "7");
        assert_eq!(parse("TC_ACT_SHOT"), Some(2));
        assert_eq!(parse("NOPE"), None);
    }
}
