//! A throwaway PostgreSQL cluster for the HQ tests: `initdb` + `pg_ctl` in a temp dir, on a free
//! loopback port, as a non-root user when the tests run as root (PostgreSQL refuses root), and
//! removed afterwards (stop + the temp dir). Binaries from PATH or Debian's
//! /usr/lib/postgresql/<v>/bin.
//!
//! Without PostgreSQL a test calls [`Pg::start_or_skip`], which says LOUDLY that it skipped;
//! under CI=true a missing server is a failure (panic), never a silent skip.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where initdb / pg_ctl live (None: PostgreSQL is not installed).
pub fn bin_dir() -> Option<PathBuf> {
    if let Ok(out) = Command::new("sh")
        .args(["-c", "command -v initdb"])
        .output()
        && out.status.success()
    {
        let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        // Follow Debian's /usr/local/bin symlinks to the versioned folder.
        let p = std::fs::canonicalize(&p).unwrap_or(p);
        if let Some(dir) = p.parent()
            && dir.join("pg_ctl").exists()
        {
            return Some(dir.to_path_buf());
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let v: u32 = e.file_name().to_string_lossy().parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server certificate for `ssl = on`: PEM text of the certificate (chain) and its key.
pub struct PgTls {
    pub cert_pem: String,
    pub key_pem: String,
}

/// The user the server runs as when we are root.
const RUN_AS: &str = "nobody";

/// A running throwaway cluster. Stopped and removed on drop.
pub struct Pg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_user: Option<&'static str>,
    stopped: bool,
}

impl Pg {
    /// Start a cluster; None (after a loud notice) when PostgreSQL is not installed, except
    /// under CI=true, where that fails the test.
    pub fn start_or_skip(test: &str) -> Option<Pg> {
        let bin = Pg::start_or_skip_bin(test)?;
        Some(Pg::start_in(bin, true))
    }

    /// [`Pg::start_or_skip`] with `ssl = on` and `tls`'s certificate (plain connections are
    /// still accepted: the client's `sslmode` decides).
    pub fn start_tls_or_skip(test: &str, tls: &PgTls) -> Option<Pg> {
        let bin = Pg::start_or_skip_bin(test)?;
        Some(Pg::start_in_with(bin, true, Some(tls)))
    }

    /// The binaries, or None after [`Pg::start_or_skip`]'s notice (a panic under CI=true).
    fn start_or_skip_bin(test: &str) -> Option<PathBuf> {
        if let Some(bin) = bin_dir() {
            return Some(bin);
        }
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "{test}: PostgreSQL (initdb, pg_ctl) is not installed; CI=true needs it \
                 (.ci/run installs the Debian package postgresql)"
            );
        }
        eprintln!(
            "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
             !!! SKIPPED {test}: PostgreSQL is not installed (no initdb in PATH or\n\
             !!! /usr/lib/postgresql/*/bin). Install the Debian package `postgresql`.\n\
             !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
        );
        None
    }

    /// `durable = false` turns fsync off (tests); benches keep PostgreSQL's defaults.
    pub fn start_in(bin: PathBuf, fast: bool) -> Pg {
        Pg::start_in_with(bin, fast, None)
    }

    /// [`Pg::start_in`], with `ssl = on` when `tls` is given (server.crt / server.key in the
    /// data folder, the key 0600 and owned by the server's user, or PostgreSQL refuses it).
    pub fn start_in_with(bin: PathBuf, fast: bool, tls: Option<&PgTls>) -> Pg {
        let dir = tempfile::Builder::new()
            .prefix("kasse-pg-")
            .tempdir()
            .unwrap();
        let as_user = is_root().then_some(RUN_AS);
        if as_user.is_some() {
            // The server's user must own its folder (and reach it).
            let st = Command::new("chown")
                .args(["-R", RUN_AS, dir.path().to_str().unwrap()])
                .status()
                .unwrap();
            assert!(st.success(), "chown {RUN_AS}");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let mut pg = Pg {
            dir,
            bin,
            port: free_port(),
            as_user,
            stopped: true,
        };
        let data = pg.data_dir();
        let out = pg
            .run(
                "initdb",
                &[
                    "-D",
                    data.to_str().unwrap(),
                    "-U",
                    "kasse",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-sync",
                ],
            )
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let mut conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\nmax_connections = 100\n",
            pg.port,
            pg.dir.path().display()
        );
        if fast {
            conf.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
        }
        if let Some(tls) = tls {
            use std::os::unix::fs::PermissionsExt;
            for (name, pem, mode) in [
                ("server.crt", &tls.cert_pem, 0o644),
                ("server.key", &tls.key_pem, 0o600),
            ] {
                let path = data.join(name);
                std::fs::write(&path, pem).unwrap();
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
                if let Some(u) = pg.as_user {
                    let st = Command::new("chown")
                        .args([u, path.to_str().unwrap()])
                        .status()
                        .unwrap();
                    assert!(st.success(), "chown {u} {name}");
                }
            }
            conf.push_str("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
        }
        let conf_path = data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf_path).unwrap();
        text.push_str(&conf);
        std::fs::write(&conf_path, text).unwrap();
        pg.start();
        pg
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, tool: &str, args: &[&str]) -> Command {
        let exe = self.bin.join(tool);
        match self.as_user {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.args(["-u", u, "--"]).arg(exe).args(args);
                c
            }
            None => {
                let mut c = Command::new(exe);
                c.args(args);
                c
            }
        }
    }

    /// (Re)start the server and wait until it accepts connections.
    pub fn start(&mut self) {
        let data = self.data_dir();
        let log = self.dir.path().join("server.log");
        let st = self
            .run(
                "pg_ctl",
                &[
                    "-D",
                    data.to_str().unwrap(),
                    "-l",
                    log.to_str().unwrap(),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
            )
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(
            st.success(),
            "pg_ctl start failed: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        self.stopped = false;
    }

    /// Stop the server now (`-m immediate`: like pulling the plug on HQ).
    pub fn stop(&mut self) {
        let data = self.data_dir();
        let _ = self
            .run(
                "pg_ctl",
                &[
                    "-D",
                    data.to_str().unwrap(),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        self.stopped = true;
    }

    /// Replace `pg_hba.conf` (who may connect, and how) and make the server re-read it.
    pub fn set_hba(&self, text: &str) {
        let data = self.data_dir();
        std::fs::write(data.join("pg_hba.conf"), text).unwrap();
        let st = self
            .run("pg_ctl", &["-D", data.to_str().unwrap(), "reload"])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success(), "pg_ctl reload");
        // The postmaster takes the SIGHUP asynchronously.
        std::thread::sleep(std::time::Duration::from_millis(500));
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Connection string of database `db`.
    pub fn url_of(&self, db: &str) -> String {
        format!("postgres://kasse@127.0.0.1:{}/{db}", self.port)
    }

    /// Connection string of the default database.
    pub fn url(&self) -> String {
        self.url_of("postgres")
    }

    /// A new empty database; its connection string.
    pub async fn fresh_db(&self, name: &str) -> String {
        let (client, conn) = tokio_postgres::connect(&self.url(), tokio_postgres::NoTls)
            .await
            .unwrap();
        let task = tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        drop(client);
        let _ = task.await;
        self.url_of(name)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        if !self.stopped {
            self.stop();
        }
    }
}

/// A plain client for checks (its connection runs on a task).
pub async fn client(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
}
