//! The catalogue at shop scale (issue #16): 100 000 generated articles with Norwegian names,
//! every one with an EAN-13, some sold by weight with in-store (prefix 23) codes.
//!
//! - Barcode lookup (`Catalog::scan`, ordinary EAN-13s and weight labels): goal p99 ≤ 0,1 ms.
//! - Search as you type (`Catalog::search_indices` after every keystroke of realistic queries,
//!   with and without accents): goal p99 ≤ 2 ms per keystroke.
//!
//! Each operation is timed three ways, all printed: the first run's wall clock ("raw"); the
//! raw samples during which the thread did not wait on the run queue (from
//! `/proc/thread-self/schedstat`, so other processes taking the CPU are left out); and the best
//! of 5 runs of the same operation (warm caches). The goals are checked on the p99 of the
//! samples that were not preempted: on a shared 2-core machine with a load average of 4–7 the
//! raw p99 measures the scheduler's time slices, not the catalogue.
//!
//! Run: `cargo bench --bench catalog` (env `KASSE_BENCH_CATALOG_N`, default 100000).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use kasse::domain::basket::QuantityUnit;
use kasse::domain::catalog::ean::{encode_variable_measure, with_check_digit};
use kasse::domain::catalog::{Catalog, Product};
use kasse::domain::money::{Currency, Money};
use std::hint::black_box;
use std::time::{Duration, Instant};

const GOODS: &[&str] = &[
    "Melk",
    "Lettmelk",
    "Skummetmelk",
    "Sjokolademelk",
    "Yoghurt",
    "Rømme",
    "Fløte",
    "Smør",
    "Ost",
    "Brunost",
    "Norvegia",
    "Jarlsberg",
    "Egg",
    "Brød",
    "Grovbrød",
    "Loff",
    "Rundstykker",
    "Knekkebrød",
    "Kaffe",
    "Te",
    "Appelsinjuice",
    "Eplejuice",
    "Brus",
    "Mineralvann",
    "Øl",
    "Pølse",
    "Grillpølse",
    "Wienerpølse",
    "Kjøttdeig",
    "Kjøttkaker",
    "Kylling",
    "Kyllingfilet",
    "Laks",
    "Torsk",
    "Fiskeboller",
    "Fiskekaker",
    "Reker",
    "Skinke",
    "Salami",
    "Leverpostei",
    "Makrell i tomat",
    "Syltetøy",
    "Blåbær",
    "Jordbær",
    "Bringebær",
    "Tyttebær",
    "Epler",
    "Bananer",
    "Appelsiner",
    "Poteter",
    "Gulrøtter",
    "Løk",
    "Tomater",
    "Agurk",
    "Paprika",
    "Salat",
    "Brokkoli",
    "Pasta",
    "Ris",
    "Havregryn",
    "Müsli",
    "Mel",
    "Sukker",
    "Salt",
    "Sjokolade",
    "Melkesjokolade",
    "Smågodt",
    "Potetgull",
    "Nøtter",
    "Rosiner",
    "Kjeks",
    "Vafler",
    "Boller",
    "Skolebolle",
    "Kanelbolle",
    "Pizza",
    "Taco",
    "Tortilla",
    "Ketchup",
    "Sennep",
    "Majones",
    "Dressing",
    "Suppe",
    "Buljong",
    "Krydder",
    "Pepper",
    "Vaskemiddel",
    "Oppvaskmiddel",
    "Toalettpapir",
    "Tørkepapir",
    "Såpe",
    "Sjampo",
    "Tannkrem",
    "Batterier",
    "Lyspære",
    "Servietter",
    "Aluminiumsfolie",
    "Plastfolie",
];
const BRANDS: &[&str] = &[
    "Tine",
    "Q",
    "Synnøve",
    "Gilde",
    "Prior",
    "Nora",
    "Freia",
    "Nidar",
    "Mills",
    "Stabburet",
    "Idun",
    "Toro",
    "Kavli",
    "First Price",
    "Eldorado",
    "Coop",
    "Rema",
    "Bama",
    "Hennig-Olsen",
    "Møllerens",
    "Bakehuset",
    "Mesterbakeren",
    "Lerum",
    "Ringnes",
    "Mack",
    "Friele",
    "Evergood",
    "Kims",
    "Sætre",
    "Göteborgs",
    "Findus",
    "Lofoten",
    "Grandiosa",
    "Jacobs",
    "Fjordland",
];
const VARIANTS: &[&str] = &[
    "lett",
    "original",
    "økologisk",
    "grov",
    "fin",
    "hel",
    "skivet",
    "naturell",
    "vanilje",
    "jordbær",
    "sukkerfri",
    "ekstra",
    "mild",
    "sterk",
    "røkt",
    "fersk",
    "frossen",
    "familie",
    "mini",
    "stor",
    "liten",
    "classic",
    "gammeldags",
    "laktosefri",
    "glutenfri",
];
const SIZES: &[&str] = &[
    "1 l", "0,5 l", "1,5 l", "250 g", "500 g", "1 kg", "200 g", "400 g", "6 stk", "12 stk",
    "100 g", "750 g", "2 l", "330 ml", "4-pk",
];

/// A small deterministic generator (xorshift), so every run measures the same catalogue.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

fn generate(n: usize) -> (Vec<Product>, Vec<String>, Vec<String>) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut products = Vec::with_capacity(n);
    let mut eans = Vec::new();
    let mut labels = Vec::new();
    for i in 0..n {
        let weighed = i % 50 == 0 && i / 50 < 1_000_000;
        let name = format!(
            "{} {} {} {}",
            rng.pick(BRANDS),
            rng.pick(GOODS),
            rng.pick(VARIANTS),
            if weighed { "løsvekt" } else { rng.pick(SIZES) }
        );
        let ean = if weighed {
            // In-store weight code: 23 + six-digit article; the catalogue holds the value 0000.
            let article = format!("23{:06}", i / 50);
            let label = encode_variable_measure(&article, (100 + i % 2000) as u16).unwrap();
            labels.push(label);
            with_check_digit(&format!("{article}0000")).unwrap()
        } else {
            with_check_digit(&format!("70{:010}", 1_000_000 + i)).unwrap()
        };
        eans.push(ean.clone());
        products.push(Product {
            plu: (100_000 + i).to_string(),
            ean: Some(ean),
            name,
            price: Money::nok(1000 + (rng.next() % 50_000) as i64),
            vat_bps: 1500,
            unit: if weighed {
                QuantityUnit::Kg
            } else {
                QuantityUnit::Pcs
            },
            group: "04003".to_string(),
        });
    }
    (products, eans, labels)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Nanoseconds this thread has waited on the run queue (0 where schedstat is unavailable).
fn run_queue_wait_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

#[derive(Default)]
struct Samples {
    raw: Vec<f64>,
    not_preempted: Vec<f64>,
    best_of_5: Vec<f64>,
}

impl Samples {
    /// Time `op` five times; record the first run, whether it was preempted, and the best.
    fn measure<T>(&mut self, mut op: impl FnMut() -> T) -> T {
        let wait = run_queue_wait_ns();
        let t = Instant::now();
        let first = black_box(op());
        let d = us(t.elapsed());
        let waited = run_queue_wait_ns() > wait;
        let mut best = d;
        for _ in 0..4 {
            let t = Instant::now();
            black_box(op());
            best = best.min(us(t.elapsed()));
        }
        self.raw.push(d);
        if !waited {
            self.not_preempted.push(d);
        }
        self.best_of_5.push(best);
        first
    }
}

fn line(name: &str, mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let (p50, p99, max) = (
        pct(&samples, 0.5),
        pct(&samples, 0.99),
        samples.last().copied().unwrap_or(0.0),
    );
    println!(
        "  {name:<22} {:>7} samples  median {p50:>8.1} µs  p99 {p99:>8.1} µs  max {max:>9.1} µs",
        samples.len()
    );
    p99
}

fn report(name: &str, s: Samples, goal_us: f64) -> bool {
    println!("{name} (goal p99 ≤ {goal_us:.0} µs):");
    line("raw wall clock", s.raw);
    let p99 = line("raw, not preempted", s.not_preempted);
    line("best of 5", s.best_of_5);
    let ok = p99 <= goal_us;
    println!("  => {}", if ok { "meets" } else { "MISSED" });
    ok
}

fn main() {
    let n: usize = std::env::var("KASSE_BENCH_CATALOG_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let (products, eans, labels) = generate(n);
    let t = Instant::now();
    let catalog = Catalog::new(Currency::Nok, products).unwrap();
    let build = t.elapsed();
    println!(
        "catalogue: {} articles ({} weight-label articles), built with its indexes in {:.0} ms",
        catalog.len(),
        labels.len(),
        build.as_secs_f64() * 1000.0
    );

    // Barcode lookups: ordinary EAN-13s and in-store weight labels, in a scrambled order.
    let mut rng = Rng(42);
    let mut lookup = Samples::default();
    for k in 0..200_000 {
        let code = if k % 10 == 0 {
            &labels[(rng.next() % labels.len() as u64) as usize]
        } else {
            &eans[(rng.next() % eans.len() as u64) as usize]
        };
        let found = lookup.measure(|| matches!(catalog.scan(black_box(code)), Ok(Some(_))));
        assert!(found, "{code}");
    }
    let ok_lookup = report("barcode lookup (scan)", lookup, 100.0);

    // Search as you type: every prefix of each query is one keystroke.
    let queries = [
        "melk",
        "tine lettmelk",
        "kjøttdeig",
        "kjottdeig",
        "polse",
        "grillpølse gilde",
        "blåbær",
        "blabaer",
        "brød grov",
        "kaffe friele",
        "norvegia skivet",
        "freia melkesjokolade 200",
        "appelsinjuice 1 l",
        "q yoghurt vanilje",
        "fiskeboller",
        "sjampo",
        "laktosefri",
        "smågodt løsvekt",
        "ost",
        "stabburet makrell i tomat",
    ];
    let mut keystrokes = Samples::default();
    let mut longer = Samples::default();
    let mut total_hits = 0usize;
    for _round in 0..20 {
        for q in &queries {
            let mut typed = String::new();
            for c in q.chars() {
                typed.push(c);
                let samples = if typed.chars().count() >= 3 {
                    &mut longer
                } else {
                    &mut keystrokes
                };
                let hits = samples.measure(|| catalog.search_indices(black_box(&typed)));
                total_hits += hits.len();
            }
        }
    }
    for q in ["melk", "kjottdeig", "blabaer", "polse"] {
        let first: Vec<&str> = catalog
            .search(q)
            .iter()
            .take(3)
            .map(|p| p.name.as_str())
            .collect();
        println!(
            "  \"{q}\" → {} hits, first: {first:?}",
            catalog.search(q).len()
        );
    }
    black_box(total_hits);
    let first_two = keystrokes.raw.len();
    keystrokes.raw.extend_from_slice(&longer.raw);
    keystrokes
        .not_preempted
        .extend_from_slice(&longer.not_preempted);
    keystrokes.best_of_5.extend_from_slice(&longer.best_of_5);
    println!(
        "load average: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    let ok_search = report(
        &format!("search per keystroke ({first_two} of them 1st/2nd character)"),
        keystrokes,
        2000.0,
    );
    // The first two keystrokes of a one-word query come from the table built with the index;
    // the rest are searched.
    let ok_longer = report("  …of which from the 3rd character on", longer, 2000.0);
    if !(ok_lookup && ok_search && ok_longer) {
        std::process::exit(1);
    }
}
