//! Search-as-you-type over article names: accent- and case-insensitive prefix-of-word
//! matching with a bounded, ranked result list.
//!
//! # Folding
//!
//! Names and queries are compared after [`fold`]:
//!
//! - lower case (Unicode `to_lowercase`);
//! - the Norwegian/Danish letters: `æ` → `ae`, `ø` → `o`, `å` → `a` (so `polse` and `pølse` find
//!   "Pølse", `blabaer` and `blåbær` find "Blåbær");
//! - other Latin letters with diacritics lose them: `é è ê ë` → `e`, `ä` → `a`, `ö` → `o`,
//!   `ü` → `u`, `ç` → `c`, `ñ` → `n`, … (Latin-1 and Latin Extended-A), plus `ß` → `ss`,
//!   `œ` → `oe`, `ð` → `d`, `þ` → `th`;
//! - combining accents (U+0300–U+036F, e.g. a decomposed `å` typed as `a` + ring) are dropped.
//!
//! # Matching and ranking
//!
//! A name is split into words: runs of letters and digits, where a `,` or `.` between two digits
//! stays inside the word (`0,5` is one word). Every word of the query must be the start of
//! some word of the name (`kaf st` finds "Kaffe, stor"; `cola` finds "Coca-Cola"). Hits are
//! ranked by, in order: the name's first word starts with the query's first word; more query
//! words that are whole words of the name; shorter names; catalogue order. At most
//! [`SEARCH_LIMIT`] hits are returned.
//!
//! # Cost
//!
//! The index is one sorted list of (word, article) pairs: a query word is a binary search for
//! its range; the rarest query word's range gives the candidates, which are checked against
//! the other words. One-word queries of one or two characters (the first keystrokes, with the
//! largest ranges) are answered from a table computed when the catalogue is built.

use std::collections::HashMap;

/// The most hits a search returns.
pub const SEARCH_LIMIT: usize = 50;

fn push_folded(c: char, out: &mut String) {
    let s: &str = match c {
        'æ' | 'Æ' => "ae",
        'ø' | 'Ø' => "o",
        'å' | 'Å' => "a",
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'ā' | 'ă' | 'ą' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Ā' | 'Ă'
        | 'Ą' => "a",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' | 'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => "c",
        'ď' | 'đ' | 'ð' | 'Ď' | 'Đ' | 'Ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' | 'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ'
        | 'Ė' | 'Ę' | 'Ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' | 'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => "g",
        'ĥ' | 'ħ' | 'Ĥ' | 'Ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' | 'Ì' | 'Í' | 'Î' | 'Ï' | 'Ĩ' | 'Ī'
        | 'Ĭ' | 'Į' | 'İ' => "i",
        'ĵ' | 'Ĵ' => "j",
        'ķ' | 'Ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' | 'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'Ñ' | 'Ń' | 'Ņ' | 'Ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ō' | 'ŏ' | 'ő' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ō' | 'Ŏ'
        | 'Ő' => "o",
        'œ' | 'Œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' | 'Ŕ' | 'Ŗ' | 'Ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' | 'Ś' | 'Ŝ' | 'Ş' | 'Š' | 'Ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' | 'Ţ' | 'Ť' | 'Ŧ' | 'Ț' => "t",
        'þ' | 'Þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' | 'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ũ'
        | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => "u",
        'ŵ' | 'Ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' | 'Ý' | 'Ÿ' | 'Ŷ' => "y",
        'ź' | 'ż' | 'ž' | 'Ź' | 'Ż' | 'Ž' => "z",
        '\u{0300}'..='\u{036f}' => "",
        c if c.is_ascii() => {
            out.push(c.to_ascii_lowercase());
            return;
        }
        c => {
            // Lowercasing may give a letter folded above (the Ångström sign Å → å): fold it too,
            // so folding twice changes nothing.
            for l in c.to_lowercase() {
                if l == c {
                    out.push(l);
                } else {
                    push_folded(l, out);
                }
            }
            return;
        }
    };
    out.push_str(s);
}

/// Lower-case `s` and fold accents and Norwegian letters (see the module docs).
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_folded(c, &mut out);
    }
    out
}

/// The words of an already folded text (module docs).
pub fn words(folded: &str) -> Vec<&str> {
    let b = folded.as_bytes();
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in folded.char_indices() {
        let keep = c.is_alphanumeric()
            || ((c == ',' || c == '.')
                && start.is_some()
                && i > 0
                && b[i - 1].is_ascii_digit()
                && b.get(i + 1).is_some_and(u8::is_ascii_digit));
        match (keep, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(&folded[s..i]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&folded[s..]);
    }
    out
}

/// The name index (built once per catalogue).
#[derive(Clone, Default)]
pub(crate) struct SearchIndex {
    /// (word, article), sorted.
    entries: Vec<(Box<str>, u32)>,
    /// Every article's folded words joined by one space, one after the other (one buffer, so
    /// checking candidates stays in cache).
    text: String,
    /// Per article: its name's byte range in `text`.
    spans: Vec<(u32, u32)>,
    /// Answers for one-word queries of one or two characters (the first keystrokes, with the
    /// largest ranges).
    short: HashMap<Box<str>, Vec<u32>>,
}

type Score = (bool, u8, usize, u32);

impl SearchIndex {
    pub(crate) fn build<'a>(names: impl Iterator<Item = &'a str>) -> SearchIndex {
        let mut entries = Vec::new();
        let mut text = String::new();
        let mut spans = Vec::new();
        for (i, name) in names.enumerate() {
            let f = fold(name);
            let ws = words(&f);
            let id = u32::try_from(i).unwrap_or(u32::MAX);
            for w in &ws {
                entries.push((Box::<str>::from(*w), id));
            }
            let start = u32::try_from(text.len()).unwrap_or(u32::MAX);
            for (k, w) in ws.iter().enumerate() {
                if k > 0 {
                    text.push(' ');
                }
                text.push_str(w);
            }
            spans.push((start, u32::try_from(text.len()).unwrap_or(u32::MAX)));
        }
        entries.sort_unstable();
        entries.dedup();
        let mut index = SearchIndex {
            entries,
            text,
            spans,
            short: HashMap::new(),
        };
        let mut prefixes: Vec<&str> = Vec::new();
        for (w, _) in &index.entries {
            let mut ends = w.char_indices().map(|(i, _)| i).skip(1).chain([w.len()]);
            for end in [ends.next(), ends.next()].into_iter().flatten() {
                prefixes.push(&w[..end]);
            }
        }
        prefixes.sort_unstable();
        prefixes.dedup();
        let short: HashMap<Box<str>, Vec<u32>> = prefixes
            .iter()
            .map(|p| (Box::<str>::from(*p), index.scan(&[p.to_string()])))
            .collect();
        index.short = short;
        index
    }

    fn name(&self, id: u32) -> Option<&str> {
        let (s, e) = *self.spans.get(id as usize)?;
        self.text.get(s as usize..e as usize)
    }

    /// The entries whose word starts with `prefix`.
    fn range(&self, prefix: &str) -> &[(Box<str>, u32)] {
        let lo = self.entries.partition_point(|(w, _)| &**w < prefix);
        let rest = &self.entries[lo..];
        let n = rest.partition_point(|(w, _)| w.starts_with(prefix));
        &rest[..n]
    }

    fn score(&self, id: u32, query: &[String]) -> Option<Score> {
        let name = self.name(id)?;
        let mut inexact = 0u8;
        for q in query {
            let mut found = false;
            let mut exact = false;
            for w in name.split(' ') {
                if w.starts_with(q.as_str()) {
                    found = true;
                    if w.len() == q.len() {
                        exact = true;
                        break;
                    }
                }
            }
            if !found {
                return None;
            }
            inexact = inexact.saturating_add(u8::from(!exact));
        }
        let first = query.first().is_some_and(|q| name.starts_with(q.as_str()));
        Some((!first, inexact, name.len(), id))
    }

    fn scan(&self, query: &[String]) -> Vec<u32> {
        let Some(rarest) = query.iter().map(|q| self.range(q)).min_by_key(|r| r.len()) else {
            return Vec::new();
        };
        let mut seen = vec![0u64; self.spans.len().div_ceil(64)];
        let mut hits: Vec<Score> = Vec::new();
        for (_, id) in rarest {
            let (slot, bit) = ((*id / 64) as usize, 1u64 << (*id % 64));
            match seen.get_mut(slot) {
                Some(s) if *s & bit == 0 => *s |= bit,
                _ => continue,
            }
            if let Some(score) = self.score(*id, query) {
                hits.push(score);
            }
        }
        if hits.len() > SEARCH_LIMIT {
            hits.select_nth_unstable(SEARCH_LIMIT);
            hits.truncate(SEARCH_LIMIT);
        }
        hits.sort_unstable();
        hits.into_iter().map(|s| s.3).collect()
    }

    /// Article indices matching `query`, best first, at most [`SEARCH_LIMIT`].
    pub(crate) fn search(&self, query: &str) -> Vec<usize> {
        let folded = fold(query);
        let query: Vec<String> = words(&folded).into_iter().map(str::to_string).collect();
        let short = match query.as_slice() {
            [q] if q.chars().nth(2).is_none() => self.short.get(q.as_str()),
            _ => None,
        };
        let ids = match short {
            Some(cached) => cached.clone(),
            None if query.is_empty() => Vec::new(),
            None => self.scan(&query),
        };
        ids.into_iter().map(|i| i as usize).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn names(index: &SearchIndex, all: &[&str], q: &str) -> Vec<String> {
        index
            .search(q)
            .into_iter()
            .map(|i| all[i].to_string())
            .collect()
    }

    #[test]
    fn folding_table() {
        assert_eq!(fold("Pølse"), "polse");
        assert_eq!(fold("BLÅBÆR"), "blabaer");
        assert_eq!(fold("Crème brûlée"), "creme brulee");
        assert_eq!(fold("Smörgåsbord"), "smorgasbord");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Œuf"), "oeuf");
        assert_eq!(fold("Ærfugl Øl Ål"), "aerfugl ol al");
        // A decomposed å (a + combining ring) folds like the precomposed one.
        assert_eq!(fold("bla\u{030a}bær"), "blabaer");
        assert_eq!(fold("Ελλάδα"), "ελλάδα");
    }

    #[test]
    fn words_keep_decimal_numbers_together() {
        assert_eq!(words("coca-cola 0,5 l"), vec!["coca", "cola", "0,5", "l"]);
        assert_eq!(words("kaffe, stor"), vec!["kaffe", "stor"]);
        assert_eq!(words("1.5l x,y 3,"), vec!["1.5l", "x", "y", "3"]);
        assert!(words("  !! ").is_empty());
    }

    #[test]
    fn accents_case_and_norwegian_letters_are_ignored() {
        let all = [
            "Pølse i brød",
            "Blåbær 250 g",
            "Crème fraîche",
            "Polsk vodka",
        ];
        let index = SearchIndex::build(all.iter().copied());
        assert_eq!(names(&index, &all, "polse"), vec!["Pølse i brød"]);
        assert_eq!(names(&index, &all, "PØLSE"), vec!["Pølse i brød"]);
        assert_eq!(names(&index, &all, "blabaer"), vec!["Blåbær 250 g"]);
        assert_eq!(names(&index, &all, "blåbær"), vec!["Blåbær 250 g"]);
        assert_eq!(names(&index, &all, "creme fraich"), vec!["Crème fraîche"]);
        assert_eq!(
            names(&index, &all, "pol"),
            vec!["Polsk vodka", "Pølse i brød"]
        );
        assert!(
            names(&index, &all, "olse").is_empty(),
            "prefixes of words only"
        );
        assert!(index.search("   ").is_empty());
    }

    #[test]
    fn ranking_prefers_first_word_then_whole_words_then_short_names() {
        let all = [
            "Sjokolademelk 1 l",
            "Lettmelk 1 l",
            "Melkesjokolade 200 g",
            "Tine melk lett 1 l",
            "Melk",
            "Melk lett 1 l",
        ];
        let index = SearchIndex::build(all.iter().copied());
        assert_eq!(
            names(&index, &all, "melk"),
            vec![
                "Melk",
                "Melk lett 1 l",
                "Melkesjokolade 200 g",
                "Tine melk lett 1 l"
            ]
        );
        assert_eq!(
            names(&index, &all, "lett melk"),
            vec!["Melk lett 1 l", "Tine melk lett 1 l"]
        );
    }

    #[test]
    fn results_are_bounded_and_short_queries_use_the_table() {
        let all: Vec<String> = (0..500).map(|i| format!("Vare {i}")).collect();
        let index = SearchIndex::build(all.iter().map(String::as_str));
        assert_eq!(index.search("vare").len(), SEARCH_LIMIT);
        let v = index.search("v");
        assert_eq!(v.len(), SEARCH_LIMIT);
        assert_eq!(
            v,
            index
                .scan(&["v".to_string()])
                .into_iter()
                .map(|i| i as usize)
                .collect::<Vec<_>>()
        );
        assert_eq!(index.search("vare 499"), vec![499]);
        assert_eq!(index.search("vare 49").len(), 11);
    }

    #[test]
    fn letters_that_lowercase_to_a_folded_letter_fold_all_the_way() {
        // U+212B ANGSTROM SIGN lowercases to U+00E5 (å), which folds to "a".
        assert_eq!(fold("\u{212B}"), "a");
        assert_eq!(fold("\u{212A}"), "k", "KELVIN SIGN");
    }

    proptest! {
        #[test]
        fn fold_is_idempotent(s in "\\PC{0,30}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once.clone());
        }

        #[test]
        fn every_word_prefix_of_a_name_finds_it(
            name in "[A-Za-zæøåÆØÅé0-9 ,.-]{1,30}",
            cut in 1usize..6,
        ) {
            let index = SearchIndex::build(std::iter::once(name.as_str()));
            let folded = fold(&name);
            for w in words(&folded) {
                let q: String = w.chars().take(cut).collect();
                prop_assert_eq!(index.search(&q), vec![0], "query {:?} for {:?}", q, name);
            }
        }
    }
}
