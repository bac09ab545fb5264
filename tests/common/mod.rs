//! Shared helpers for the integration tests: paths, the real runtime and
//! models, and running the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tryghed::config::DEFAULT_MODELS_DIR;
use tryghed::inference::Runtime;
use tryghed::vision::{PoseTracker, VisionSettings};

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(relative: &str) -> PathBuf {
    repo().join("fixtures").join(relative)
}

pub fn models_dir() -> PathBuf {
    PathBuf::from(DEFAULT_MODELS_DIR)
}

pub fn runtime() -> Runtime {
    Runtime::load().expect("ONNX Runtime: run scripts/setup first")
}

pub fn tracker() -> PoseTracker {
    PoseTracker::load(&runtime(), &models_dir(), VisionSettings::default())
        .expect("pose models load")
}

/// Runs the real `tryghed` binary.
pub fn tryghed(args: &[&str]) -> Output {
    tryghed_in(args, repo(), &[])
}

pub fn tryghed_in(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tryghed"));
    command
        .args(args)
        .current_dir(cwd)
        .env_remove("TRYGHED_LOG");
    for (k, v) in env {
        command.env(k, v);
    }
    output_within(&mut command, COMMAND_DEADLINE)
}

/// A TCP port free on loopback now, for a broker or server a test starts.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Debian's sqlite3 on a device's database, as an auditor or an attacker
/// would use it. It waits while the running device writes (busy timeout)
/// instead of failing with "database is locked".
pub fn sqlite3(db: impl AsRef<Path>, sql: impl AsRef<std::ffi::OsStr>) -> Output {
    let mut command = Command::new("sqlite3");
    command
        .args(["-cmd", ".timeout 10000"])
        .arg(db.as_ref())
        .arg(sql);
    output_within(&mut command, Duration::from_secs(60))
}

/// Longer than any command of the suite takes on a slow machine (a whole
/// real data set through `eval`); a hung one fails its test, not the suite.
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(15 * 60);

/// Runs `command` as `Command::output` does, but kills it after `limit`.
pub fn output_within(command: &mut Command, limit: Duration) -> Output {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    wait_within(child, limit)
}

/// Waits for `child` and its output, killing it after `limit`: a test that
/// would hang fails with what the child said so far.
pub fn wait_within(child: Child, limit: Duration) -> Output {
    let pid = child.id().to_string();
    let (finished, wait) = mpsc::channel::<()>();
    let guard = std::thread::spawn(move || {
        let late = wait.recv_timeout(limit) == Err(mpsc::RecvTimeoutError::Timeout);
        if late {
            let _ = Command::new("kill").args(["-9", &pid]).status();
        }
        late
    });
    let out = child.wait_with_output().expect("the child is waited for");
    drop(finished);
    let late = guard.join().expect("the guard thread ends");
    assert!(
        !late,
        "still running after {limit:?}, killed\nstdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// What a § 136 e basis records besides its terms, dated before 2026: the
/// target group (R1.1), the purpose (R8.1), the catalogue item (R14), the
/// case documents (R11) and the DPIA assessment (R8.6).
#[allow(dead_code)]
pub const FACTS_136E: &[&str] = &[
    "--target-group",
    "progressive-decline:memory clinic 2025-114",
    "--purpose",
    "safety",
    "--catalogue",
    "sensor-alarm",
    "--diagnosis",
    "memory clinic 2025-114",
    "--earlier-efforts",
    "care plan 7",
    "--action-plan",
    "plan 2026-02",
    "--skema3",
    "skema3-7781",
    "--dpia",
    "not-needed",
    "--dpia-at",
    "2025-12-01",
];

/// Records Ellen (r-017, room A12) under a § 136 e basis b1 from
/// 2026-01-01 for `kinds` and `signals` (with `extra` flags), informed and
/// with every fact the order asks for, and the AI disclosure: as a case
/// officer would, in the records under `data_dir`.
pub fn resident_under_136e(data_dir: &Path, kinds: &str, signals: &str, extra: &[&str]) {
    let resident = [
        "resident", "add", "--id", "r-017", "--room", "A12", "--name", "Ellen",
    ];
    let basis = [
        &[
            "basis",
            "record",
            "--id",
            "b1",
            "--resident",
            "r-017",
            "--type",
            "136e",
            "--kinds",
            kinds,
            "--alarm",
            "--signals",
            signals,
            "--start",
            "2026-01-01",
            "--decided-by",
            "K",
            "--informed",
            "resident@2025-12-20",
        ][..],
        FACTS_136E,
        extra,
    ]
    .concat();
    let disclosure = [
        "disclosure",
        "record",
        "--resident",
        "r-017",
        "--informed",
        "resident",
        "--at",
        "2026-01-01",
        "--how",
        "leaflet",
    ];
    let data_dir = data_dir.to_str().unwrap();
    for args in [&resident[..], &basis, &disclosure] {
        let out = tryghed(&[&["--data-dir", data_dir, "--actor", "K"][..], args].concat());
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    }
}

/// Grants an installer's test permit for `room` (where no resident lives)
/// in the records under `data_dir`: a live camera or microphone opens
/// there only with one (R1.2).
pub fn grant_test_permit(data_dir: &Path, room: &str) {
    let data_dir = data_dir.to_str().unwrap();
    let args = [
        "--data-dir",
        data_dir,
        "room",
        "test-permit",
        "--room",
        room,
    ];
    let out = tryghed(&[&args[..], &["--reason", "a test of the live path"]].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// A real data set under `../shared/datasets/NAME` made into `eval` cases
/// by `scripts/eval/SCRIPT` (as a person would), then `tryghed eval` on
/// them with the Markdown report kept in `target/REPORT`: the JSON result,
/// its headline printed.
pub fn eval_real_set(name: &str, script: &str, report: &str) -> serde_json::Value {
    let dataset = repo().join("../shared/datasets").join(name);
    assert!(
        dataset.join("manifest.tsv").is_file(),
        "{}: the real set is missing",
        dataset.display()
    );
    let cases = tempfile::tempdir().unwrap();
    let made = Command::new("python3")
        .arg(repo().join("scripts/eval").join(script))
        .arg(&dataset)
        .arg(cases.path())
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", text(&made.stderr));
    let report = repo().join("target").join(report);
    let out = tryghed(&[
        "eval",
        cases.path().to_str().unwrap(),
        "--json",
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let markdown = std::fs::read_to_string(&report).unwrap();
    println!("{}", markdown.lines().nth(2).unwrap_or(""));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Cases where nothing was expected.
pub fn expecting_nothing(result: &serde_json::Value) -> Vec<&serde_json::Value> {
    result["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["hits"].as_array().unwrap().is_empty() && c["misses"].as_array().unwrap().is_empty()
        })
        .collect()
}

/// How many of `cases` raised a false alarm of a kind `counts` picks.
pub fn with_false_alarm(cases: &[&serde_json::Value], counts: impl Fn(&str) -> bool) -> usize {
    cases
        .iter()
        .filter(|c| {
            c["false_alarms"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| counts(a[0].as_str().unwrap()))
        })
        .count()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The product's fixed random source, so every run tests the same cases.
#[allow(unused_imports)] // each test binary uses part of common
pub use tryghed::random::Random;

/// A small filesystem of its own (tmpfs), unmounted however the test ends:
/// lets a test fill the disk or make it read-only under a running store.
pub struct Mounted {
    pub data: PathBuf,
    _dir: tempfile::TempDir,
}

impl Mounted {
    /// A tmpfs of `size` (`"1m"`); `None`, said aloud, without root.
    pub fn tmpfs(size: &str) -> Option<Mounted> {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&data)
            .output();
        if !mounted.map(|o| o.status.success()).unwrap_or(false) {
            // Needs root (as in CI, where .ci/run runs as root); say so rather than pass quietly.
            eprintln!("not run: mounting a small filesystem needs root");
            return None;
        }
        Some(Mounted { data, _dir: dir })
    }

    /// An ext4 filesystem of `size` (`"8M"`) on a loop device, mounted to
    /// turn read-only on an error as a data disk is; `None`, said aloud,
    /// where loop devices cannot be used.
    pub fn ext4(size: &str) -> Option<Mounted> {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("disk.img");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let ran = |program: &str, args: &[&std::ffi::OsStr]| {
            Command::new(program)
                .args(args)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        let made = ran("truncate", &["-s".as_ref(), size.as_ref(), image.as_ref()])
            && ran("mkfs.ext4", &["-q".as_ref(), image.as_ref()])
            && ran(
                "mount",
                &[
                    "-o".as_ref(),
                    "loop,errors=remount-ro".as_ref(),
                    image.as_ref(),
                    data.as_ref(),
                ],
            );
        if !made {
            eprintln!("not run: mounting an ext4 image needs root and loop devices");
            return None;
        }
        Some(Mounted { data, _dir: dir })
    }

    /// Makes the ext4 filesystem fail as a worn disk does: the kernel turns
    /// it read-only at once, for files already open too, until it is
    /// checked and mounted again.
    pub fn fail_to_read_only(&self) {
        let mounts = std::fs::read_to_string("/proc/mounts").unwrap();
        let device = mounts
            .lines()
            .find(|l| l.split(' ').nth(1) == self.data.to_str())
            .and_then(|l| l.split(' ').next())
            .and_then(|d| d.strip_prefix("/dev/"))
            .expect("the ext4 image is mounted")
            .to_string();
        std::fs::write(format!("/sys/fs/ext4/{device}/trigger_fs_error"), "test").unwrap();
    }

    /// Makes the directory read-only, or writable again. Root ignores file
    /// modes, and a filesystem with files open for writing cannot be
    /// remounted read-only, so a read-only bind mount is laid over it:
    /// files already open stay open, and nothing new can be written there.
    pub fn read_only(&self, read_only: bool) {
        let run = |args: &[&str]| {
            let status = Command::new(args[0])
                .args(&args[1..])
                .arg(&self.data)
                .arg(&self.data)
                .status()
                .unwrap();
            assert!(status.success(), "{args:?}");
        };
        if read_only {
            run(&["mount", "--bind"]);
            let status = Command::new("mount")
                .args(["-o", "remount,ro,bind"])
                .arg(&self.data)
                .status()
                .unwrap();
            assert!(status.success(), "mount -o remount,ro,bind");
        } else {
            let status = Command::new("umount").arg(&self.data).status().unwrap();
            assert!(status.success(), "umount the read-only view");
        }
    }

    /// Fills the disk to the last byte with one file; returns its path.
    pub fn fill(&self) -> PathBuf {
        let path = self.data.join("filler");
        let mut filler = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 4096];
        while std::io::Write::write_all(&mut filler, &block).is_ok() {}
        let _ = std::io::Write::write_all(&mut filler, &[0u8; 1]);
        path
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        // The read-only view, if one is left, then the filesystem.
        for _ in 0..2 {
            let _ = Command::new("umount")
                .arg(&self.data)
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
}

/// Feeds a named pipe with silence at the pace of a 16 kHz, 16-bit mono
/// microphone until dropped, opening it again whenever its reader goes
/// (the sound system may open a device more than once).
pub struct PipeFeeder {
    path: PathBuf,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PipeFeeder {
    pub fn start(path: &Path) -> PipeFeeder {
        use std::io::Write;
        use std::sync::atomic::Ordering;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (fifo, stopped) = (path.to_path_buf(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                let Ok(mut pipe) = std::fs::OpenOptions::new().write(true).open(&fifo) else {
                    return;
                };
                while !stopped.load(Ordering::Relaxed) && pipe.write_all(&[0u8; 3_200]).is_ok() {
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        });
        PipeFeeder {
            path: path.to_path_buf(),
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for PipeFeeder {
    fn drop(&mut self) {
        use std::os::unix::fs::OpenOptionsExt;
        // Linux's O_NONBLOCK: a reader that opens at once frees a writer
        // waiting in `open` for one.
        const O_NONBLOCK: i32 = 0o4000;
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let _reader = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(O_NONBLOCK)
            .open(&self.path);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A mosquitto (Debian's) run for a test; killed when dropped.
pub struct Mosquitto(pub Child);

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A hub's folder in `dir/hub`: its authority, a bundle for each room and
/// mosquitto's settings for a broker on loopback at `port`.
pub fn hub_home(dir: &Path, rooms: &[&str], port: u16) -> PathBuf {
    let home = dir.join("hub");
    let home_s = home.to_str().unwrap();
    let broker = format!("127.0.0.1:{port}");
    let ok = |out: Output| assert!(out.status.success(), "{}", text(&out.stderr));
    ok(tryghed(&["hub", "init", "--dir", home_s]));
    for room in rooms {
        ok(tryghed(&[
            "hub", "enrol", "--dir", home_s, "--room", room, "--broker", &broker,
        ]));
    }
    let port_s = port.to_string();
    ok(tryghed(&[
        "hub",
        "broker",
        "--dir",
        home_s,
        "--bind",
        "127.0.0.1",
        "--port",
        &port_s,
        "--user",
        "root",
        "--address",
        "127.0.0.1",
    ]));
    home
}

/// Starts mosquitto with the settings `tryghed hub broker` wrote in `home`
/// and waits until it listens on `port`.
pub fn start_mosquitto(home: &Path, port: u16) -> Mosquitto {
    let broker = Mosquitto(
        Command::new("mosquitto")
            .arg("-c")
            .arg(home.join("broker/mosquitto.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto (Debian's package) is installed by scripts/setup"),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the broker never listened"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    broker
}

/// A running `tryghed` whose output lines are gathered as they come, each
/// with when it came; killed when dropped.
pub struct Running {
    pub child: Child,
    pub lines: std::sync::Arc<std::sync::Mutex<Vec<(std::time::Instant, String)>>>,
}

impl Running {
    pub fn start(args: &[&str]) -> Running {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_tryghed"))
            .args(args)
            .current_dir(repo())
            .env_remove("TRYGHED_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = lines.clone();
        let out = std::io::BufReader::new(child.stdout.take().unwrap());
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                sink.lock().unwrap().push((std::time::Instant::now(), line));
            }
        });
        Running { child, lines }
    }

    /// The first line containing `part`, waiting up to `limit` for it.
    pub fn line(&self, part: &str, limit: Duration) -> Option<(std::time::Instant, String)> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let found = self
                .lines
                .lock()
                .unwrap()
                .iter()
                .find(|(_, l)| l.contains(part))
                .cloned();
            if found.is_some() || std::time::Instant::now() > deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn text(&self) -> String {
        let lines = self.lines.lock().unwrap();
        lines
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// mosquitto_pub/sub's TLS flags for the certificate `{stem}.pem` at a
/// broker on loopback.
pub fn mqtt_tls(ca: &Path, stem: &Path, port: u16) -> Vec<String> {
    let (cert, key) = (stem.with_extension("pem"), stem.with_extension("key"));
    [
        "--cafile",
        ca.to_str().unwrap(),
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
    ]
    .map(str::to_string)
    .to_vec()
}

/// Logs in at a staff app on `address` (host:port, plain HTTP); the token.
pub fn log_in(address: &str, name: &str, password: &str) -> String {
    use std::io::{Read, Write};
    let body = format!(r#"{{"name":"{name}","password":"{password}"}}"#);
    let mut login = std::net::TcpStream::connect(address).unwrap();
    write!(login, "POST /api/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).unwrap();
    let mut answer = String::new();
    login.read_to_string(&mut answer).unwrap();
    answer
        .split("\"token\":\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a token")
        .to_string()
}
