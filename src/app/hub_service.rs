//! `tryghed hub serve`: one care home's hub. The records live here (case
//! officers work against it), the one staff app for every room, the alarm
//! book across rooms with its repeats and escalation, the outlets, and the
//! link to every room's device through the broker.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use super::product::{check_bind, end_looks_left_open, serve_staff, stop_signal, Say, StaffAppAt};
use crate::config::Config;
use crate::deliver::live::Live;
use crate::deliver::{Clock, Hub};
use crate::link::hub::{HubLink, HubLinkSettings};
use crate::store::Store;

pub struct HubOptions {
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    pub tls: bool,
    pub link: HubLinkSettings,
    /// Stop after this long (tests); `None` runs until Ctrl-C.
    pub seconds: Option<f64>,
}

pub fn run(config: &Config, options: HubOptions, say: Say) -> anyhow::Result<()> {
    check_bind(&options.bind, options.tls)?;
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the network runtime")?;
    tokio.block_on(serve(config, options, Arc::new(say)))
}

async fn serve(config: &Config, options: HubOptions, say: Arc<Say>) -> anyhow::Result<()> {
    let mut store = Store::open(&options.data_dir)?;
    end_looks_left_open(&mut store, &say);
    let hub = Arc::new(Hub::new(
        store,
        config.alarms.clone(),
        config.outlets.names(),
        Clock::system(),
    )?);
    let said = say.clone();
    let link = HubLink::new(
        hub.clone(),
        config.alerts.clone(),
        options.link.clone(),
        Arc::new(move |line| said(line)),
    )
    .map_err(anyhow::Error::msg)?;
    let at = StaffAppAt {
        data_dir: options.data_dir.clone(),
        bind: options.bind,
        tls: options.tls,
    };
    serve_staff(&hub, config, &at, Arc::new(Live::default()), &say).await?;
    say(format!(
        "hub: rooms through the broker at {}",
        options.link.broker
    ));
    tokio::spawn(link.run());
    tokio::spawn(prune_hourly(hub.clone(), config.retention, say.clone()));
    super::systemd::notify("READY=1");
    match options.seconds {
        Some(s) => {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs_f64(s)) => {}
                _ = stop_signal() => {}
            }
        }
        None => stop_signal().await,
    }
    super::systemd::notify("STOPPING=1");
    Ok(())
}

/// Deletes what the retention settings no longer keep (R8.4), audited, at
/// start and every hour: alarms, their steps and the device events taken.
async fn prune_hourly(hub: Arc<Hub>, retention: crate::store::Retention, say: Arc<Say>) {
    let mut hourly = tokio::time::interval(Duration::from_secs(3600));
    loop {
        hourly.tick().await;
        let now = hub.now();
        match hub.write(move |s| s.prune(&retention, "hub", now)).await {
            Ok(pruned) if !pruned.nothing() => say(format!(
                "retention: deleted {} alarms ({} steps), {} device events and {} audit rows",
                pruned.alarms, pruned.steps, pruned.device_events, pruned.audit_rows
            )),
            Ok(_) => {}
            Err(e) => tracing::error!("retention: {e}"),
        }
    }
}
