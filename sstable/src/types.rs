//! What the reader needs to know of Cassandra's CQL types, from their
//! type strings (`org.apache.cassandra.db.marshal.Int32Type`,
//! `...ReversedType(...)`, ...).

/// The package Cassandra's type classes live in.
const MARSHAL: &str = "org.apache.cassandra.db.marshal.";

/// The simple class name of a type string, without package or parameters.
pub fn class_name(type_string: &str) -> &str {
    let name = type_string.split('(').next().unwrap_or(type_string);
    name.strip_prefix(MARSHAL).unwrap_or(name)
}

/// The type a `ReversedType(X)` wraps (itself otherwise).
pub fn unreversed(type_string: &str) -> &str {
    if class_name(type_string) == "ReversedType" {
        if let (Some(open), Some(inner)) = (type_string.find('('), type_string.strip_suffix(')')) {
            return &inner[open + 1..];
        }
    }
    type_string
}

/// Whether the type sorts in descending order (`ReversedType`).
pub fn is_reversed(type_string: &str) -> bool {
    class_name(type_string) == "ReversedType"
}

/// The length of every value of the type, for types whose values are
/// written without a length (Cassandra's `valueLengthIfFixed`); `None` for
/// types written with a vint length.
pub fn fixed_value_length(type_string: &str) -> Option<usize> {
    match class_name(unreversed(type_string)) {
        "BooleanType" => Some(1),
        "Int32Type" | "FloatType" => Some(4),
        "LongType" | "DoubleType" | "DateType" | "TimestampType" => Some(8),
        "UUIDType" | "TimeUUIDType" | "LexicalUUIDType" => Some(16),
        "EmptyType" => Some(0),
        _ => None,
    }
}

/// The top-level parameters of a type string: `MapType(A,B(C,D))` gives
/// `["A", "B(C,D)"]`; no parameters gives an empty list.
pub fn parameters(type_string: &str) -> Vec<&str> {
    let (Some(open), Some(inner_end)) = (type_string.find('('), type_string.rfind(')')) else {
        return Vec::new();
    };
    let inner = &type_string[open + 1..inner_end];
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, ch) in inner.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !inner.is_empty() {
        out.push(&inner[start..]);
    }
    out
}

/// The type of the values of a multi-cell column's cells: a list's
/// elements, a map's values, nothing for a set (its elements are the cell
/// paths), and for a user type the field named by the path (a 2-byte field
/// index). `None` when the path names no field.
pub fn cell_value_type<'a>(type_string: &'a str, path: &[u8]) -> Option<&'a str> {
    let params = parameters(type_string);
    match class_name(type_string) {
        "ListType" => params.first().copied(),
        "MapType" => params.get(1).copied(),
        "SetType" => Some("org.apache.cassandra.db.marshal.EmptyType"),
        "UserType" => {
            let index = u16::from_be_bytes(path.try_into().ok()?) as usize;
            // UserType(keyspace,hexname,field1:type1,...)
            let field = params.get(2 + index)?;
            field.split_once(':').map(|(_, t)| t)
        }
        _ => Some(type_string),
    }
}

/// Whether a column of this type holds several cells (a non-frozen
/// collection or user type).
pub fn is_multi_cell(type_string: &str) -> bool {
    matches!(
        class_name(type_string),
        "ListType" | "SetType" | "MapType" | "UserType"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_fixed_lengths() {
        let int = "org.apache.cassandra.db.marshal.Int32Type";
        let rev = "org.apache.cassandra.db.marshal.ReversedType(org.apache.cassandra.db.marshal.LongType)";
        assert_eq!(class_name(int), "Int32Type");
        assert_eq!(unreversed(rev), "org.apache.cassandra.db.marshal.LongType");
        assert!(is_reversed(rev) && !is_reversed(int));
        assert_eq!(fixed_value_length(int), Some(4));
        assert_eq!(fixed_value_length(rev), Some(8));
        assert_eq!(
            fixed_value_length("org.apache.cassandra.db.marshal.UTF8Type"),
            None
        );
        let map = "org.apache.cassandra.db.marshal.MapType(org.apache.cassandra.db.marshal.UTF8Type,org.apache.cassandra.db.marshal.Int32Type)";
        assert_eq!(parameters(map).len(), 2);
        assert_eq!(cell_value_type(map, b"k"), Some(int));
        let udt = "org.apache.cassandra.db.marshal.UserType(ks,61,78:org.apache.cassandra.db.marshal.Int32Type,79:org.apache.cassandra.db.marshal.UTF8Type)";
        assert_eq!(cell_value_type(udt, &[0, 0]), Some(int));
        assert_eq!(
            cell_value_type(udt, &[0, 1]),
            Some("org.apache.cassandra.db.marshal.UTF8Type")
        );
        assert_eq!(cell_value_type(udt, &[0, 2]), None);
        assert!(is_multi_cell(
            "org.apache.cassandra.db.marshal.SetType(org.apache.cassandra.db.marshal.UTF8Type)"
        ));
        assert!(!is_multi_cell("org.apache.cassandra.db.marshal.FrozenType(org.apache.cassandra.db.marshal.SetType(org.apache.cassandra.db.marshal.UTF8Type))"));
        assert_eq!(
            fixed_value_length("org.apache.cassandra.db.marshal.ShortType"),
            None,
            "smallint carries a length"
        );
    }
}
