//! The hub's set-up commands (issue 16): its authority, a room's device
//! bundle, the broker's settings.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use tryghed::enrol::{EnrolError, HubAuthority, Listen};

use crate::UsageError;

#[derive(Subcommand)]
pub enum HubCommand {
    /// Make the hub's certificate authority and permit signing key in DIR.
    Init {
        #[arg(long)]
        dir: PathBuf,
    },
    /// Issue a room device's bundle (client certificate named for the room,
    /// the authority, the hub's public signing key, broker addresses).
    Enrol {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        room: String,
        /// host:port of a broker; repeatable.
        #[arg(long = "broker", value_name = "HOST:PORT")]
        brokers: Vec<String>,
    },
    /// Write mosquitto's settings for the hub's broker, and the hub's own
    /// client certificate.
    Broker {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value = "0.0.0.0")]
        bind: String,
        #[arg(long, default_value_t = 8883)]
        port: u16,
        /// The account mosquitto runs as; it must own broker.key.
        #[arg(long, default_value = "mosquitto")]
        user: String,
        /// The names and addresses devices reach the broker by; repeatable.
        #[arg(long = "address", value_name = "NAME", required = true)]
        addresses: Vec<String>,
    },
}

fn usage(e: EnrolError) -> anyhow::Error {
    match e {
        EnrolError::Room(_) | EnrolError::Exists(_) => UsageError(e.to_string()).into(),
        other => other.into(),
    }
}

pub fn hub(command: HubCommand) -> anyhow::Result<ExitCode> {
    match command {
        HubCommand::Init { dir } => {
            HubAuthority::init(&dir).map_err(usage)?;
            out!(
                "hub authority and permit signing key made in {}",
                dir.display()
            );
        }
        HubCommand::Enrol { dir, room, brokers } => {
            let bundle = HubAuthority::open(&dir)
                .map_err(usage)?
                .enrol(&room, &brokers)
                .map_err(usage)?;
            out!("room {room}: device bundle in {}", bundle.display());
        }
        HubCommand::Broker {
            dir,
            bind,
            port,
            user,
            addresses,
        } => {
            let authority = HubAuthority::open(&dir).map_err(usage)?;
            let listen = Listen { bind, port, user };
            let settings = authority.broker(&listen, &addresses).map_err(usage)?;
            let client = authority.hub_client().map_err(usage)?;
            out!("broker settings: mosquitto -c {}", settings.display());
            out!("the hub's client certificate: {}", client.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
