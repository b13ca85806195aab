//! The `oauth2` plugin's entity kinds (Kong's `oauth2/daos.lua`): `oauth2_credentials`, one
//! consumer's OAuth 2.0 application (`/consumers/{c}/oauth2`, `/oauth2`, declarative
//! `oauth2_credentials`), and `oauth2_tokens`, the tokens the plugin issues (`/oauth2_tokens`),
//! kept in a runtime table ([`super::tokens::TokenTable`]) because the proxy writes them.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use serde_json::{Map, Value};
use uuid::Uuid;

use super::secret;
use crate::entities::dao::{created_at_field, id_field, tags_field, Dao, Storage, Write};
use crate::entities::reader::FieldErrors;
use crate::entities::records;
use crate::schema::{Field, Record};
use crate::store::State;

/// `oauth2_credentials`.
pub static OAUTH2_CREDENTIALS: Dao = Dao {
    name: "oauth2_credentials",
    admin_name: "oauth2",
    entity_name: "oauth2_credential",
    schema: credential_schema,
    endpoint_key: Some("client_id"),
    scoped_key: None,
    unique_together: &[],
    on_write: Some(hash_on_write),
    index: Some(|state| Arc::new(Credentials::build(state))),
    storage: Storage::Config,
    generic_admin: true,
    export: true,
};

/// `oauth2_tokens`.
pub static OAUTH2_TOKENS: Dao = Dao {
    name: "oauth2_tokens",
    admin_name: "oauth2_tokens",
    entity_name: "oauth2_token",
    schema: token_schema,
    endpoint_key: Some("access_token"),
    scoped_key: None,
    unique_together: &[],
    on_write: None,
    index: None,
    storage: Storage::Runtime(super::tokens::TokenTable::shared),
    generic_admin: true,
    export: false,
};

/// A redirect URI: an absolute URL without a fragment (RFC 6749 §3.1.2).
fn redirect_uri(v: &Value) -> Result<(), String> {
    let text = v.as_str().unwrap_or_default();
    match url::Url::parse(text) {
        Ok(u) if u.fragment().is_some() => Err("fragment not allowed".into()),
        Ok(u) if u.cannot_be_a_base() => Err(format!("cannot parse '{text}'")),
        Ok(_) => Ok(()),
        Err(_) => Err(format!("cannot parse '{text}'")),
    }
}

fn credential_schema() -> &'static Record {
    static SCHEMA: LazyLock<Record> = LazyLock::new(|| {
        Record::new()
            .field("id", id_field())
            .field("created_at", created_at_field())
            .field("consumer", Field::foreign("consumers").required().cascade())
            .field("name", Field::string().required().len_min(1))
            .field(
                "client_id",
                Field::string().required().len_min(1).auto().unique(),
            )
            .field(
                "client_secret",
                Field::string().required().len_min(1).auto(),
            )
            .field("hash_secret", Field::boolean().required().default(false))
            .field(
                "redirect_uris",
                Field::array(Field::string().validator(redirect_uri)),
            )
            .field(
                "client_type",
                Field::string()
                    .required()
                    .default("confidential")
                    .one_of(&["confidential", "public"]),
            )
            .field("tags", tags_field())
    });
    &SCHEMA
}

fn token_schema() -> &'static Record {
    static SCHEMA: LazyLock<Record> = LazyLock::new(|| {
        Record::new()
            .field("id", id_field())
            .field("created_at", created_at_field())
            .field("service", Field::foreign("services").cascade())
            .field(
                "credential",
                Field::foreign("oauth2_credentials").required().cascade(),
            )
            .field(
                "token_type",
                Field::string()
                    .required()
                    .default("bearer")
                    .one_of(&["bearer"]),
            )
            .field("expires_in", Field::integer().required().default(7200))
            .field("access_token", Field::string().len_min(1).auto().unique())
            .field("refresh_token", Field::string().len_min(1).unique())
            .field("authenticated_userid", Field::string())
            .field("scope", Field::string())
    });
    &SCHEMA
}

/// Kong's `hash_secret`: a client secret written with `hash_secret: true` is stored as an
/// argon2 hash (never as given). A hash is not hashed again, so a credential re-applied from
/// an export stays valid.
fn hash_on_write(record: &mut Map<String, Value>, _write: Write<'_>) -> Result<(), FieldErrors> {
    if record.get("hash_secret").and_then(Value::as_bool) != Some(true) {
        return Ok(());
    }
    let Some(plain) = record.get("client_secret").and_then(Value::as_str) else {
        return Ok(());
    };
    if secret::is_hash(plain) {
        return Ok(());
    }
    match secret::hash(plain) {
        Ok(hashed) => {
            record.insert("client_secret".into(), Value::String(hashed));
            Ok(())
        }
        Err(e) => {
            let mut fields = FieldErrors::new();
            fields.insert("client_secret".into(), Value::String(e));
            Err(fields)
        }
    }
}

/// One OAuth 2.0 application as the token endpoint needs it.
#[derive(Debug, Clone)]
pub struct Credential {
    /// Primary key.
    pub id: Uuid,
    /// The owning consumer.
    pub consumer: Uuid,
    /// `client_id`.
    pub client_id: String,
    /// `client_secret` as stored: plain, or an argon2 hash when `hash_secret`.
    pub client_secret: String,
    /// Whether `client_secret` is a hash.
    pub hash_secret: bool,
    /// Registered redirect URIs, in order.
    pub redirect_uris: Vec<String>,
    /// `confidential` or `public`.
    pub public: bool,
}

/// Every `oauth2_credentials` record by id and by `client_id` (the runtime snapshot's index).
#[derive(Debug, Default)]
pub struct Credentials {
    by_client_id: HashMap<String, Arc<Credential>>,
    by_id: HashMap<Uuid, Arc<Credential>>,
}

impl Credentials {
    /// Indexes the credentials of `state`.
    pub fn build(state: &State) -> Credentials {
        let mut index = Credentials::default();
        for r in state.records(&OAUTH2_CREDENTIALS) {
            let (Some(id), Some(consumer), Some(client_id), Some(client_secret)) = (
                records::id_of(r),
                records::fk_id(r, "consumer"),
                r.get("client_id").and_then(Value::as_str),
                r.get("client_secret").and_then(Value::as_str),
            ) else {
                continue;
            };
            let redirect_uris = r
                .get("redirect_uris")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let c = Arc::new(Credential {
                id,
                consumer,
                client_id: client_id.to_owned(),
                client_secret: client_secret.to_owned(),
                hash_secret: r.get("hash_secret").and_then(Value::as_bool) == Some(true),
                redirect_uris,
                public: r.get("client_type").and_then(Value::as_str) == Some("public"),
            });
            index.by_client_id.insert(c.client_id.clone(), c.clone());
            index.by_id.insert(id, c);
        }
        index
    }

    /// The credential whose `client_id` is `client_id`.
    pub fn by_client_id(&self, client_id: &str) -> Option<&Arc<Credential>> {
        self.by_client_id.get(client_id)
    }

    /// The credential with primary key `id`.
    pub fn by_id(&self, id: Uuid) -> Option<&Arc<Credential>> {
        self.by_id.get(&id)
    }
}
