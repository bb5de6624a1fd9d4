//! Checks of text fields and email addresses at the edge, naming the field.

use crate::error::StoreError;

/// Rejects empty or oversized text fields at the edge, naming the field.
pub(crate) fn check_text(field: &str, value: &str, max: usize) -> Result<(), StoreError> {
    if value.trim().is_empty() {
        return Err(StoreError::invalid(field, "must not be empty"));
    }
    if value.len() > max {
        return Err(StoreError::invalid(
            field,
            format!("longer than {max} bytes"),
        ));
    }
    if value.contains('\0') {
        return Err(StoreError::invalid(field, "contains a NUL character"));
    }
    Ok(())
}

/// Trims and lower-cases an email address, refusing what is not one (named `field`).
pub(crate) fn normalize_email(field: &str, e: &str) -> Result<String, StoreError> {
    let e = e.trim().to_lowercase();
    check_text(field, &e, 320)?;
    match e.split_once('@') {
        Some((l, d)) if !l.is_empty() && d.contains('.') && !e.contains(char::is_whitespace) => {
            Ok(e)
        }
        _ => Err(StoreError::invalid(
            field,
            format!("{e:?} is not an email address"),
        )),
    }
}
