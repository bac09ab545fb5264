//! The hub's set-up commands (issue 16): its authority, a room's device
//! bundle, the broker's settings.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use tryghed::app::hub_service::HubOptions;
use tryghed::config::Config;
use tryghed::enrol::{EnrolError, HubAuthority, Listen};
use tryghed::link::hub::HubLinkSettings;

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
    /// Run the hub: the records (at --data-dir, default DIR/records), one
    /// staff app for every room, the alarms across rooms, and the link to
    /// every room's device through the broker.
    Serve {
        #[arg(long)]
        dir: PathBuf,
        /// host:port of the broker.
        #[arg(long, value_name = "HOST:PORT")]
        broker: String,
        /// Port of the staff app (0: any free one).
        #[arg(long, default_value_t = 8470)]
        port: u16,
        /// Listen on this address (off loopback, TLS is always on).
        #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Serve over TLS on loopback too.
        #[arg(long)]
        tls: bool,
        /// Stop after this many seconds (default: until Ctrl-C).
        #[arg(long, value_name = "S")]
        seconds: Option<f64>,
    },
}

fn usage(e: EnrolError) -> anyhow::Error {
    match e {
        EnrolError::Room(_) | EnrolError::Exists(_) => UsageError(e.to_string()).into(),
        other => other.into(),
    }
}

pub fn hub(
    command: HubCommand,
    config: &Config,
    data_dir: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    match command {
        HubCommand::Serve {
            dir,
            broker,
            port,
            bind,
            tls,
            seconds,
        } => {
            if seconds.is_some_and(|s| !(s > 0.0 && s.is_finite())) {
                return Err(UsageError("--seconds must be a number above 0".into()).into());
            }
            HubAuthority::open(&dir).map_err(usage)?;
            let bind = std::net::SocketAddr::new(bind, port);
            let options = HubOptions {
                data_dir: data_dir.map_or_else(|| dir.join("records"), Path::to_path_buf),
                tls: tls || !bind.ip().is_loopback(),
                bind,
                link: HubLinkSettings {
                    authority: dir,
                    broker,
                },
                seconds,
            };
            tryghed::app::hub_service::run(config, options, Box::new(|line| out!("{line}")))?;
        }
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
