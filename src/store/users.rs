//! Staff, case officers, installers and auditors who log in to the device.
//! Passwords are kept only as Argon2id hashes (salted, PHC strings).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{write, Store, StoreError};
use crate::policy::Time;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Care staff: see and handle alarms, ask for a time-bounded look.
    Staff,
    /// Records legal bases, disclosures, oppositions, complaints.
    CaseOfficer,
    /// Sets up rooms and devices; sees device health, never a resident's data.
    Installer,
    /// Reads the audit trail and the records; changes nothing.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Staff,
        Role::CaseOfficer,
        Role::Installer,
        Role::Auditor,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::CaseOfficer => "case_officer",
            Role::Installer => "installer",
            Role::Auditor => "auditor",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| format!("unknown role `{s}` (staff, case_officer, installer, auditor)"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    /// The rooms a staff member answers for; empty is every room.
    pub rooms: Vec<String>,
}

impl User {
    /// Whether this user answers for `room` before any escalation.
    pub fn covers(&self, room: &str) -> bool {
        self.rooms.is_empty() || self.rooms.iter().any(|r| r == room)
    }
}

/// Room names: each 1 to 32 printable characters, no repeats.
fn check_rooms(rooms: &[String]) -> Result<Vec<String>, (String, String)> {
    let mut out: Vec<String> = Vec::new();
    for room in rooms {
        let room = room.trim();
        if room.is_empty() || room.chars().count() > 32 || room.chars().any(char::is_control) {
            return Err((
                format!("a room is 1 to 32 printable characters, not \"{room}\""),
                format!("et rum er 1 til 32 synlige tegn, ikke \"{room}\""),
            ));
        }
        if !out.iter().any(|r| r == room) {
            out.push(room.to_string());
        }
    }
    Ok(out)
}

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

impl Store {
    /// Adds a user; the password is hashed here and never stored as given.
    /// `rooms` are those a staff member answers for (empty: every room).
    pub fn add_user(
        &mut self,
        name: &str,
        role: Role,
        rooms: &[String],
        password: &str,
        actor: &str,
        now: Time,
    ) -> Result<(), StoreError> {
        let refused = |(message, danish): (String, String)| {
            StoreError::Refused(vec![crate::policy::Refusal::new("R5.3", message, danish)])
        };
        let name = name.trim();
        if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control()) {
            return Err(refused((
                "a user name is 1 to 64 printable characters".into(),
                "et brugernavn er 1 til 64 synlige tegn".into(),
            )));
        }
        if self.user(name)?.is_some() {
            return Err(refused((
                format!("user {name} already exists"),
                format!("brugeren {name} findes allerede"),
            )));
        }
        let rooms = check_rooms(rooms).map_err(refused)?;
        let hash = checked_hash(password)?;
        let detail = serde_json::json!({ "role": role.name(), "rooms": rooms });
        let rooms = serde_json::to_string(&rooms).unwrap_or_else(|_| "[]".into());
        self.change(actor, now, "user.add", name, &detail, |tx| {
            write(
                tx,
                "INSERT INTO users (name, role, password_hash, rooms) VALUES (?1, ?2, ?3, ?4)",
                params![name, role.name(), hash, rooms],
            )
        })
    }

    /// Changes the rooms a user answers for (empty: every room); audited.
    pub fn set_user_rooms(
        &mut self,
        name: &str,
        rooms: &[String],
        actor: &str,
        now: Time,
    ) -> Result<(), StoreError> {
        let refused = |(message, danish): (String, String)| {
            StoreError::Refused(vec![crate::policy::Refusal::new("R13.1", message, danish)])
        };
        if self.user(name)?.is_none() {
            return Err(StoreError::UnknownUser(name.to_string()));
        }
        let rooms = check_rooms(rooms).map_err(refused)?;
        let detail = serde_json::json!({ "rooms": rooms });
        let text = serde_json::to_string(&rooms).unwrap_or_else(|_| "[]".into());
        self.change(actor, now, "user.rooms", name, &detail, |tx| {
            write(
                tx,
                "UPDATE users SET rooms = ?2 WHERE name = ?1",
                params![name, text],
            )
        })
    }

    /// Disables a user: she can no longer log in, and her sessions end at
    /// once (audited). Returns how many sessions were ended.
    pub fn disable_user(
        &mut self,
        name: &str,
        actor: &str,
        now: Time,
    ) -> Result<usize, StoreError> {
        self.known_user(name)?;
        let detail = serde_json::json!({});
        self.change(actor, now, "user.disable", name, &detail, |tx| {
            write(
                tx,
                "UPDATE users SET disabled_at = ?2 WHERE name = ?1",
                params![name, now.to_rfc3339()],
            )?;
            super::sessions::end_all(tx, name, now)
        })
    }

    /// Lets a disabled user log in again (audited).
    pub fn enable_user(&mut self, name: &str, actor: &str, now: Time) -> Result<(), StoreError> {
        self.known_user(name)?;
        let detail = serde_json::json!({});
        self.change(actor, now, "user.enable", name, &detail, |tx| {
            write(
                tx,
                "UPDATE users SET disabled_at = NULL WHERE name = ?1",
                params![name],
            )
        })
    }

    /// Sets a new password and ends the user's sessions, so a password
    /// that leaked stops working everywhere (audited, never the password).
    /// Returns how many sessions were ended.
    pub fn set_password(
        &mut self,
        name: &str,
        password: &str,
        actor: &str,
        now: Time,
    ) -> Result<usize, StoreError> {
        self.known_user(name)?;
        let hash = checked_hash(password)?;
        let detail = serde_json::json!({});
        self.change(actor, now, "user.password", name, &detail, |tx| {
            write(
                tx,
                "UPDATE users SET password_hash = ?2 WHERE name = ?1",
                params![name, hash],
            )?;
            super::sessions::end_all(tx, name, now)
        })
    }

    fn known_user(&self, name: &str) -> Result<(), StoreError> {
        match self.user_row(name)? {
            Some(_) => Ok(()),
            None => Err(StoreError::UnknownUser(name.to_string())),
        }
    }

    pub fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        Ok(self.user_row(name)?.map(|row| row.user))
    }

    fn user_row(&self, name: &str) -> Result<Option<UserRow>, StoreError> {
        let row: Option<(String, String, String, Option<String>)> = self
            .conn
            .query_row(
                "SELECT role, password_hash, rooms, disabled_at FROM users WHERE name = ?1",
                params![name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(|cause| StoreError::Sqlite {
                file: self.file_name(),
                cause,
            })?;
        let Some((role, hash, rooms, disabled_at)) = row else {
            return Ok(None);
        };
        let corrupt = |reason: String| StoreError::Corrupt {
            file: self.file_name(),
            reason,
        };
        let role = role.parse().map_err(corrupt)?;
        let rooms = serde_json::from_str(&rooms)
            .map_err(|e| corrupt(format!("user {name}: rooms: {e}")))?;
        Ok(Some(UserRow {
            user: User {
                name: name.to_string(),
                role,
                rooms,
            },
            hash,
            disabled: disabled_at.is_some(),
        }))
    }

    /// What a log-in is checked against, read quickly so that the slow
    /// Argon2 check runs outside any lock on the store.
    pub fn credentials(&self, name: &str) -> Result<Credentials, StoreError> {
        Ok(match self.user_row(name)? {
            Some(row) if !row.disabled => Credentials {
                user: Some(row.user),
                hash: row.hash,
            },
            _ => Credentials {
                user: None,
                hash: DUMMY_HASH.to_string(),
            },
        })
    }

    /// The user, when the password is hers and she is not disabled.
    pub fn check_password(&self, name: &str, password: &str) -> Result<Option<User>, StoreError> {
        Ok(self.credentials(name)?.check(password))
    }
}

struct UserRow {
    user: User,
    hash: String,
    disabled: bool,
}

/// A user's stored password hash, or a hash nobody has for an unknown or
/// disabled name: the same work is done either way, so timing does not
/// tell which names exist.
pub struct Credentials {
    user: Option<User>,
    hash: String,
}

impl Credentials {
    /// The name, when it is an enabled user's (a name nobody has is not
    /// repeated: it may be a password typed in the wrong field).
    pub fn known_name(&self) -> Option<String> {
        self.user.as_ref().map(|u| u.name.clone())
    }

    pub fn check(self, password: &str) -> Option<User> {
        let matches = verify_password(password, &self.hash);
        self.user.filter(|_| matches)
    }
}

/// A hash of a password nobody has, to spend the same time on unknown names.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Xc1S3pSq7X7QaNgDQnYMwQ9wzMZ5Hk7n2XH0BYRKQtM";

/// The hash of a password long enough to be kept.
fn checked_hash(password: &str) -> Result<String, StoreError> {
    let refused = |(message, danish): (String, String)| {
        StoreError::Refused(vec![crate::policy::Refusal::new("R5.3", message, danish)])
    };
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(refused((
            format!("a password has at least {MIN_PASSWORD_CHARS} characters"),
            format!("en adgangskode har mindst {MIN_PASSWORD_CHARS} tegn"),
        )));
    }
    hash_password(password).map_err(|e| {
        refused((
            format!("cannot hash the password: {e}"),
            format!("adgangskoden kan ikke hashes: {e}"),
        ))
    })
}

fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}
