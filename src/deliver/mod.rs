//! Getting alarms to people: the hub that raises, stores and hands out
//! alarm steps, and the staff app over HTTP with live server-sent events.
//! Takes only `Permitted` alarm requests from the gate; never imports
//! capture, vision or audio, so no frame or sound can reach it.

pub mod case_api;
pub mod headers;
pub mod http;
pub mod hub;
pub mod live;
pub mod look_api;
pub mod openapi;
pub mod outlet_tls;
pub mod outlets;
pub mod reads;
pub mod representative_api;
pub mod serve;
pub mod sessions;
pub mod sight;
pub mod tls;

pub use hub::{Clock, Hub, HubError, WallStep};
