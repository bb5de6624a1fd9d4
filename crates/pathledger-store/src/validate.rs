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

/// An email address in its one normal form ([`pathledger_core::Email`]: trimmed, lower-cased,
/// no whitespace or control character anywhere), or a refusal naming `field`.
pub(crate) fn normalize_email(field: &str, e: &str) -> Result<String, StoreError> {
    // The one normalizer of the product (trim, lowercase, shape; no whitespace or control
    // character anywhere), reported at `field`.
    pathledger_core::Email::parse(e)
        .map(pathledger_core::Email::into_string)
        .map_err(|err| StoreError::invalid(field, err.to_string()))
}
