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
fn check_rooms(rooms: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for room in rooms {
        let room = room.trim();
        if room.is_empty() || room.chars().count() > 32 || room.chars().any(char::is_control) {
            return Err(format!(
                "a room is 1 to 32 printable characters, not \"{room}\""
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
        let refused = |message: String| {
            StoreError::Refused(vec![crate::policy::Refusal {
                rule: "R5.3",
                message,
            }])
        };
        let name = name.trim();
        if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control()) {
            return Err(refused(
                "a user name is 1 to 64 printable characters".into(),
            ));
        }
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(refused(format!(
                "a password has at least {MIN_PASSWORD_CHARS} characters"
            )));
        }
        if self.user(name)?.is_some() {
            return Err(refused(format!("user {name} already exists")));
        }
        let rooms = check_rooms(rooms).map_err(refused)?;
        let hash = hash_password(password)
            .map_err(|e| refused(format!("cannot hash the password: {e}")))?;
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
        let refused = |message: String| {
            StoreError::Refused(vec![crate::policy::Refusal {
                rule: "R13.1",
                message,
            }])
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

    pub fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        Ok(self.user_row(name)?.map(|(user, _)| user))
    }

    fn user_row(&self, name: &str) -> Result<Option<(User, String)>, StoreError> {
        let row: Option<(String, String, String)> = self
            .conn
            .query_row(
                "SELECT role, password_hash, rooms FROM users WHERE name = ?1",
                params![name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|cause| StoreError::Sqlite {
                file: self.file_name(),
                cause,
            })?;
        let Some((role, hash, rooms)) = row else {
            return Ok(None);
        };
        let corrupt = |reason: String| StoreError::Corrupt {
            file: self.file_name(),
            reason,
        };
        let role = role.parse().map_err(corrupt)?;
        let rooms = serde_json::from_str(&rooms)
            .map_err(|e| corrupt(format!("user {name}: rooms: {e}")))?;
        Ok(Some((
            User {
                name: name.to_string(),
                role,
                rooms,
            },
            hash,
        )))
    }

    /// The user, when the password is theirs. The same work is done for an
    /// unknown name, so timing does not tell which names exist.
    pub fn check_password(&self, name: &str, password: &str) -> Result<Option<User>, StoreError> {
        match self.user_row(name)? {
            Some((user, hash)) => Ok(verify_password(password, &hash).then_some(user)),
            None => {
                let _ = verify_password(password, DUMMY_HASH);
                Ok(None)
            }
        }
    }
}

/// A hash of a password nobody has, to spend the same time on unknown names.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Xc1S3pSq7X7QaNgDQnYMwQ9wzMZ5Hk7n2XH0BYRKQtM";

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
