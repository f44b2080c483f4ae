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
        assert_eq!(
            fixed_value_length("org.apache.cassandra.db.marshal.ShortType"),
            None,
            "smallint carries a length"
        );
    }
}
