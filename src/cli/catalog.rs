//! `kasse catalog import FILE.csv`: the catalogue import (wiring only; the checks are in
//! `app::catalog`, the one-transaction write and its events in `store::catalog`).
//!
//! The import owns the data directory: the till reads the catalogue when it starts, so the
//! shop closes the till, imports, and starts it again.

use std::path::PathBuf;

use crate::config::Config;
use crate::lang::{Lang, Text};
use crate::store::Store;

/// `kasse catalog …`.
#[derive(Debug, clap::Args)]
pub struct CatalogArgs {
    #[command(subcommand)]
    pub cmd: CatalogCmd,
}

#[derive(Debug, clap::Subcommand)]
pub enum CatalogCmd {
    /// Import articles from a CSV file (columns: plu;ean;name;price;vat;unit;group, see the
    /// README). Checked as a whole first: any bad row imports nothing. Price changes are
    /// journaled (13021), new articles too (13999).
    Import {
        /// The CSV (or TOML) file.
        file: PathBuf,
    },
}

fn say(lang: Lang, t: &Text) {
    eprintln!("kasse: {}", t.get(lang));
}

/// Run `kasse catalog …`; answers the exit code.
pub async fn command(config: &Config, dir: &std::path::Path, args: CatalogArgs, lang: Lang) -> i32 {
    match args.cmd {
        CatalogCmd::Import { file } => {
            let (dir, shop, till) = (
                dir.to_path_buf(),
                config.shop.shop_id.clone(),
                config.shop.till_id.clone(),
            );
            let r = tokio::task::spawn_blocking(move || {
                let mut store = Store::open_in_dir(&dir).map_err(|e| e.message())?;
                crate::app::catalog_store::import_file(
                    &mut store,
                    &file,
                    &shop,
                    &till,
                    time::OffsetDateTime::now_utc(),
                )
            })
            .await;
            match r {
                Ok(Ok(rep)) => {
                    let o = &rep.outcome;
                    println!("imported: {}", rep.rows);
                    println!("added: {}", o.added.len());
                    println!("price_changes: {}", o.price_changes.len());
                    println!("changed: {}", o.changed);
                    println!("unchanged: {}", o.unchanged);
                    for c in &o.price_changes {
                        println!(
                            "price_change: {}",
                            crate::store::catalog::price_change_text(c, "13021")
                        );
                    }
                    0
                }
                Ok(Err(t)) => {
                    say(lang, &t);
                    1
                }
                Err(e) => {
                    say(
                        lang,
                        &Text::new(format!("Intern feil: {e}"), format!("Internal error: {e}")),
                    );
                    1
                }
            }
        }
    }
}
