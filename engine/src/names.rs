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

#[cfg(test)]
mod tests {
    use super::*;

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
