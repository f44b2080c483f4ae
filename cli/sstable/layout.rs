//! JSON laid out as `sstabledump` lays it out (Jackson's pretty printer
//! with the compact indenters of Cassandra's `JsonTransformer`): two-space
//! indentation and `" : "` between names and values, with keys,
//! clusterings, cell paths, liveness and deletion infos, and each cell,
//! kept on one line (`{ "name" : "val", "value" : 1 }`, `[ "0" ]`).

use serde_json::Value;

/// How a container is laid out.
#[derive(Clone, Copy, PartialEq)]
enum Style {
    /// One element per line.
    Expanded,
    /// One element per line, each of them on one line (`cells`).
    ExpandedCompactItems,
    /// Everything on one line.
    Compact,
}

/// The style of the value of the field `name` in a container of `parent`
/// style.
fn field_style(parent: Style, name: &str) -> Style {
    match (parent, name) {
        (Style::Compact, _) => Style::Compact,
        (_, "key" | "clustering" | "path" | "liveness_info" | "deletion_info") => Style::Compact,
        (_, "cells") => Style::ExpandedCompactItems,
        _ => Style::Expanded,
    }
}

fn newline(out: &mut String, level: usize) {
    out.push('\n');
    for _ in 0..level {
        out.push_str("  ");
    }
}

/// Appends `value` at nesting `level` (the level of the line it starts on).
pub fn write_partition(out: &mut String, value: &Value, level: usize) {
    write(out, value, level, Style::Expanded);
}

fn write(out: &mut String, value: &Value, level: usize, style: Style) {
    let compact = style == Style::Compact;
    match value {
        Value::Object(map) if map.is_empty() => out.push_str("{ }"),
        Value::Array(items) if items.is_empty() => out.push_str("[ ]"),
        Value::Object(map) => {
            out.push('{');
            for (i, (name, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if compact {
                    out.push(' ');
                } else {
                    newline(out, level + 1);
                }
                out.push_str(&Value::String(name.clone()).to_string());
                out.push_str(" : ");
                write(out, v, level + 1, field_style(style, name));
            }
            if compact {
                out.push(' ');
            } else {
                newline(out, level);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            let item_style = match style {
                Style::Expanded => Style::Expanded,
                _ => Style::Compact,
            };
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if compact {
                    out.push(' ');
                } else {
                    newline(out, level + 1);
                }
                write(out, v, level + 1, item_style);
            }
            if compact {
                out.push(' ');
            } else {
                newline(out, level);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lays_out_like_the_documented_sstabledump_example() {
        // The first partition of the example on the sstabledump page of
        // Cassandra's documentation (tools/sstable/sstabledump), line for
        // line.
        let partition = serde_json::json!({
            "partition": { "key": ["3578d7de-c60d-4599-aefb-3f22a07b2bc6"], "position": 0 },
            "rows": [{
                "type": "row",
                "position": 61,
                "liveness_info": { "tstamp": "2018-07-20T20:23:08.378711Z" },
                "cells": [
                    { "name": "event", "value": "party" },
                    { "name": "insertedtimestamp", "value": "2018-07-20 20:23:08.384Z" },
                    { "name": "source", "value": "asdf" }
                ]
            }]
        });
        let mut out = String::from("  ");
        write_partition(&mut out, &partition, 1);
        let expected = r#"  {
    "partition" : {
      "key" : [ "3578d7de-c60d-4599-aefb-3f22a07b2bc6" ],
      "position" : 0
    },
    "rows" : [
      {
        "type" : "row",
        "position" : 61,
        "liveness_info" : { "tstamp" : "2018-07-20T20:23:08.378711Z" },
        "cells" : [
          { "name" : "event", "value" : "party" },
          { "name" : "insertedtimestamp", "value" : "2018-07-20 20:23:08.384Z" },
          { "name" : "source", "value" : "asdf" }
        ]
      }
    ]
  }"#;
        assert_eq!(out, expected);
    }

    #[test]
    fn output_stays_valid_json() {
        let v =
            serde_json::json!({"a": [], "b": {}, "key": ["x\"y", null], "cells": [{"path": [1]}]});
        let mut out = String::new();
        write_partition(&mut out, &v, 0);
        let back: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back, v);
    }
}
