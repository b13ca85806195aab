//! Admin API access to the runtime tables (`/oauth2_tokens`): records the proxy writes, kept
//! outside the configuration state.

use serde_json::{Map, Value};

use crate::error::AdminError;
use crate::gateway::Gateway;

fn table<'a>(
    gw: &'a Gateway,
    name: &str,
) -> Result<&'a std::sync::Arc<dyn crate::entities::dao::RuntimeTable>, AdminError> {
    gw.tables().get(name).ok_or(AdminError::NotFound)
}

/// Every live record.
pub(super) fn list(gw: &Gateway, name: &str) -> Result<Vec<Value>, AdminError> {
    Ok(table(gw, name)?.list())
}

/// One record by id or endpoint key.
pub(super) fn get(gw: &Gateway, name: &str, key: &str) -> Result<Value, AdminError> {
    table(gw, name)?.get(key).ok_or(AdminError::NotFound)
}

/// Creates a record, checked against the current configuration.
pub(super) async fn create(
    gw: &Gateway,
    name: &str,
    input: Map<String, Value>,
) -> Result<Value, AdminError> {
    let table = table(gw, name)?.clone();
    gw.read(|state| table.create(input, state)).await
}

/// Deletes a record (absent is not an error, as for every Kong `DELETE`).
pub(super) fn delete(gw: &Gateway, name: &str, key: &str) -> Result<(), AdminError> {
    table(gw, name)?.delete(key);
    Ok(())
}
