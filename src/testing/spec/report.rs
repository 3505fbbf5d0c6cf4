//! What `bpfsim test` prints: per case PASS/FAIL/ERROR with its diffs, the events as the
//! spec's `[print]` table or JSON lines, a closing count; and the JUnit XML CI systems read.

use super::Spec;
use super::run::{CaseReport, Status};
use std::fmt::Write as _;

/// The text report of one spec: events tables, then one line per case and its diffs.
pub fn text(spec: &Spec, reports: &[CaseReport], show_events: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({})",
        spec.path.display(),
        spec.object_path.display()
    );
    for r in reports {
        if show_events && !r.events.is_empty() {
            let _ = writeln!(out, "\n  case \"{}\": {} events", r.name, r.events.len());
            if let Some(f) = &spec.print {
                if let Some(h) = &f.header {
                    let _ = writeln!(out, "{h}");
                }
                for e in &r.events {
                    match &e.fields {
                        Some(rec) => {
                            let _ = writeln!(out, "{}", f.row(&rec.0));
                        }
                        None => {
                            let _ = writeln!(out, "{}", e.to_json());
                        }
                    }
                }
            } else {
                for e in &r.events {
                    let _ = writeln!(out, "{}", e.to_json());
                }
            }
            out.push('\n');
        }
        let tag = match r.status {
            Status::Pass => "PASS ",
            Status::Fail => "FAIL ",
            Status::Error => "ERROR",
        };
        let mut detail = format!("{} runs", r.runs);
        if !r.events.is_empty() {
            let _ = write!(detail, ", {} events", r.events.len());
        }
        if !r.verdicts.is_empty() {
            let v: Vec<String> = r.verdicts.iter().map(|(k, n)| format!("{k} {n}")).collect();
            let _ = write!(detail, ", {}", v.join(", "));
        }
        let _ = writeln!(
            out,
            "  {tag} {} [{}] ({detail}; line {})",
            r.name, r.engine, r.line
        );
        for m in &r.messages {
            for (i, l) in m.lines().enumerate() {
                let _ = writeln!(
                    out,
                    "{}{l}",
                    if i == 0 { "        - " } else { "          " }
                );
            }
        }
    }
    out
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// JUnit XML for several specs: one `<testsuite>` per spec, one `<testcase>` per case.
pub fn junit(specs: &[(String, Vec<CaseReport>)]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for (name, reports) in specs {
        let failures = reports.iter().filter(|r| r.status == Status::Fail).count();
        let errors = reports.iter().filter(|r| r.status == Status::Error).count();
        let time: f64 = reports.iter().map(|r| r.duration.as_secs_f64()).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{time:.6}\">",
            xml(name),
            reports.len()
        );
        for r in reports {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.6}\"",
                xml(name),
                xml(&r.name),
                r.duration.as_secs_f64()
            );
            let body = r.messages.join("\n");
            match r.status {
                Status::Pass => out.push_str("/>\n"),
                Status::Fail => {
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                        xml(r
                            .messages
                            .first()
                            .map_or("", |m| m.lines().next().unwrap_or(""))),
                        xml(&body)
                    );
                }
                Status::Error => {
                    let _ = writeln!(
                        out,
                        ">\n      <error message=\"{}\">{}</error>\n    </testcase>",
                        xml(r
                            .messages
                            .first()
                            .map_or("", |m| m.lines().next().unwrap_or(""))),
                        xml(&body)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
