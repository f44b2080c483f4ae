//! Keyspace and table names, by Cassandra's rule: 1 to 48 characters of
//! `[A-Za-z0-9_]`. Such a name can never leave its directory (no `/`, no
//! `..`), and Cassandra accepts every directory Ilion creates from one.

use crate::error::{Error, Result};

/// Longest keyspace or table name (Cassandra's `SchemaConstants.NAME_LENGTH`).
///
/// ```
/// assert!(ilion::check_name("table", &"t".repeat(ilion::MAX_NAME_LENGTH)).is_ok());
/// assert!(ilion::check_name("table", &"t".repeat(ilion::MAX_NAME_LENGTH + 1)).is_err());
/// ```
pub const MAX_NAME_LENGTH: usize = 48;

/// Checks a keyspace or table name; `what` says which, for the error.
///
/// # Errors
/// [`Error::InvalidName`] naming the rule it breaks.
///
/// ```
/// assert!(ilion::check_name("table", "user_events_2").is_ok());
/// for bad in ["", "../etc", "a-b", "a.b"] {
///     assert!(ilion::check_name("table", bad).is_err());
/// }
/// ```
pub fn check_name(what: &'static str, name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= MAX_NAME_LENGTH
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidName {
            what,
            name: name.to_string(),
        })
    }
}

/// A table's `(keyspace, name)`, owned as the registry's key or borrowed
/// for a lookup: every read and write finds its table without allocating.
pub(crate) trait TableName {
    fn parts(&self) -> (&str, &str);
}

impl TableName for (String, String) {
    fn parts(&self) -> (&str, &str) {
        (&self.0, &self.1)
    }
}

impl TableName for (&str, &str) {
    fn parts(&self) -> (&str, &str) {
        (self.0, self.1)
    }
}

impl<'a> std::borrow::Borrow<dyn TableName + 'a> for (String, String) {
    fn borrow(&self) -> &(dyn TableName + 'a) {
        self
    }
}

// The order of the owned key's derived `Ord`: keyspace, then name.
impl PartialEq for dyn TableName + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn TableName + '_ {}

impl PartialOrd for dyn TableName + '_ {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for dyn TableName + '_ {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.parts().cmp(&other.parts())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_found_by_borrowed_names() {
        let mut map = std::collections::BTreeMap::new();
        for (i, (ks, t)) in [("a", "b"), ("a", "c"), ("b", "a"), ("ab", "")]
            .iter()
            .enumerate()
        {
            map.insert((ks.to_string(), t.to_string()), i);
        }
        let find = |ks: &str, t: &str| map.get(&(ks, t) as &dyn TableName).copied();
        assert_eq!(find("a", "b"), Some(0));
        assert_eq!(find("a", "c"), Some(1));
        assert_eq!(find("b", "a"), Some(2));
        assert_eq!(find("ab", ""), Some(3));
        assert_eq!(find("a", "bc"), None);
        assert_eq!(find("", "ab"), None);
    }

    #[test]
    fn cassandras_rule() {
        for good in ["a", "users", "Users_2", &"x".repeat(48)] {
            check_name("table", good).unwrap();
        }
        for bad in ["", "../etc", "a/b", "a-b", "a.b", "é", " ", &"x".repeat(49)] {
            assert!(check_name("table", bad).is_err(), "{bad:?}");
        }
    }
}
