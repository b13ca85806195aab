//! `GET /schemas/plugins/{name}` and `GET /schemas/{entity}`: the schemas the gateway validates
//! with, in Kong's format, so a client (the Admin GUI) can build forms from them.

use axum::extract::Path;
use axum::Json;
use serde_json::Value;

use crate::entities::dao;
use crate::error::AdminError;

/// A plugin's schema.
pub(super) async fn plugin(Path(name): Path<String>) -> Result<Json<Value>, AdminError> {
    let spec = crate::plugins::spec(&name)
        .ok_or_else(|| AdminError::NotFoundNamed(format!("No plugin named '{name}'")))?;
    // Every plugin of the registry declares one today; the message stays true if one did not.
    let schema = spec.schema.ok_or_else(|| {
        AdminError::NotFoundNamed(format!("Plugin '{name}' declares no config schema"))
    })?;
    Ok(Json(schema().kong_json()))
}

/// A registered entity kind's schema (consumer groups, acls, oauth2 credentials and tokens).
pub(super) async fn entity(Path(name): Path<String>) -> Result<Json<Value>, AdminError> {
    dao::by_name(&name)
        .map(|d| Json(d.kong_json()))
        .ok_or_else(|| AdminError::NotFoundNamed(format!("No entity named '{name}'")))
}
