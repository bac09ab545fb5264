//! Talking to systemd when it runs the device (`deploy/tryghed.service`,
//! `Type=notify`): ready once the staff app listens and the sources are
//! open, a watchdog kept fed by the device loop, stopping on SIGTERM. A few
//! datagrams on `$NOTIFY_SOCKET`; nothing at all when it is not set.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

/// Where systemd listens, if it started us.
fn socket_address() -> Option<std::os::unix::net::SocketAddr> {
    let path = std::env::var_os("NOTIFY_SOCKET")?;
    let path = path.to_str()?;
    match path.strip_prefix('@') {
        // An abstract socket (Linux only), as systemd uses by default.
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            std::os::unix::net::SocketAddr::from_abstract_name(name).ok()
        }
        None => std::os::unix::net::SocketAddr::from_pathname(path).ok(),
    }
}

/// Sends `state` (`READY=1`, `WATCHDOG=1`, `STOPPING=1`, `STATUS=…`).
/// A failure is logged once by the caller's choice, never fatal: the
/// device must run without systemd too.
pub fn notify(state: &str) {
    let Some(address) = socket_address() else {
        return;
    };
    let sent = UnixDatagram::unbound().and_then(|s| s.send_to_addr(state.as_bytes(), &address));
    if let Err(e) = sent {
        tracing::warn!("systemd notify {state}: {e}");
    }
}

/// How often systemd wants to hear from us, when it watches (WatchdogSec).
pub fn watchdog() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    // WATCHDOG_PID, when set, names the process meant.
    if let Ok(pid) = std::env::var("WATCHDOG_PID") {
        if pid.parse::<u32>().ok() != Some(std::process::id()) {
            return None;
        }
    }
    (usec > 0).then(|| Duration::from_micros(usec))
}
