//! An organization's definitions (framework, micro-credentials, stacks, roles): stored, versioned, cached.

use std::sync::Arc;

use pathledger_core::Definitions;
use pathledger_store::{DefinitionKind, StoreError};
use serde_json::Value;

use crate::*;

/// The definitions bundle is stored as one versioned document under this id.
pub const BUNDLE_ID: &str = "definitions";

impl App {
    // ----- definitions ---------------------------------------------------------------------

    /// Validates and stores a definitions bundle for an organization (a new version), and
    /// each achievement as its own versioned definition (credentials record that version).
    pub async fn put_definitions(
        &self,
        org_id: &str,
        bundle: &Value,
    ) -> Result<Arc<Definitions>, AppError> {
        let defs = Definitions::from_value(bundle).map_err(definition_errors)?;
        let store = &self.inner.store;
        for a in defs.achievements() {
            let doc = serde_json::to_value(a).map_err(|e| AppError::Build(e.to_string()))?;
            let unchanged = match store
                .definition(org_id, DefinitionKind::Achievement, a.id.as_str(), None)
                .await
            {
                Ok(d) => d.document == doc,
                Err(StoreError::NotFound { .. }) => false,
                Err(e) => return Err(e.into()),
            };
            if !unchanged {
                store
                    .put_definition(org_id, DefinitionKind::Achievement, a.id.as_str(), &doc)
                    .await?;
            }
        }
        store
            .put_definition(
                org_id,
                DefinitionKind::Pathway,
                &bundle_id(org_id),
                &defs.to_value(),
            )
            .await?;
        let defs = Arc::new(defs);
        if let Ok(mut w) = self.inner.defs.write() {
            w.insert(org_id.to_owned(), defs.clone());
        }
        Ok(defs)
    }

    /// The organization's current definitions.
    pub async fn definitions(&self, org_id: &str) -> Result<Arc<Definitions>, AppError> {
        if let Some(d) = self
            .inner
            .defs
            .read()
            .ok()
            .and_then(|m| m.get(org_id).cloned())
        {
            return Ok(d);
        }
        let d = self
            .inner
            .store
            .definition(org_id, DefinitionKind::Pathway, &bundle_id(org_id), None)
            .await
            .map_err(|e| match e {
                StoreError::NotFound { .. } => {
                    AppError::NotFound(format!("definitions of organization {org_id}"))
                }
                other => other.into(),
            })?;
        let defs = Arc::new(Definitions::from_value(&d.document).map_err(definition_errors)?);
        if let Ok(mut w) = self.inner.defs.write() {
            w.insert(org_id.to_owned(), defs.clone());
        }
        Ok(defs)
    }
}

/// Every definition error with its path (at most 20), so a bad import says what to fix.
pub(crate) fn definition_errors(e: pathledger_core::DefinitionErrors) -> AppError {
    let list: Vec<String> = e
        .errors()
        .iter()
        .take(20)
        .map(ToString::to_string)
        .collect();
    let more = e.errors().len().saturating_sub(list.len());
    let mut msg = list.join("; ");
    if more > 0 {
        msg.push_str(&format!("; and {more} more"));
    }
    AppError::Definitions(msg)
}

pub(crate) fn bundle_id(org_id: &str) -> String {
    format!("{BUNDLE_ID}:{org_id}")
}
