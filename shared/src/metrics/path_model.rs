//! The model of runs whose file never names it, read from the file's path.
//!
//! Benchmark scripts often name the model only in where they write:
//! `reports/gemma3/gemma3_270m_param_tuning.csv` holds gemma3:270m's runs
//! with no model column. Runs of an unknown model are kept apart per file,
//! so such a folder shows one "unknown model" per file and never compares
//! them with the same model's runs elsewhere.
//!
//! A path names a model when a model written inside some other file of the
//! folder appears in it, word for word once punctuation is ignored
//! (`gemma3:270m` in `gemma3_270m_param_tuning`; `gemma3:latest` also as
//! plain `gemma3`). The file's own name is tried first, then its folders
//! from the nearest up, and the longest model found in the first of them
//! that holds one wins, unless that part names two models (`llama3.1_8b_vs_
//! qwen2.5_7b`), when no one can tell which ran. Only models with a digit or
//! a tag (`gemma3`, `phi:latest`) are looked for: `default` or `test` would
//! turn up anywhere. A dot between digits is kept, so `llama3.1_8b` does not
//! hold `llama3`. Failing all that, a folder whose whole name reads as a
//! model tag of a well-known family with a size or quantisation
//! (`llama3.2-3b`, `qwen2.5_7b_q4_K_M`, not a bare `gemma`) is taken as
//! written, unless it is only the start of a model seen elsewhere.

use std::collections::BTreeSet;

use super::SettingId;
use super::record::Settings;

/// Models named inside the folder's files, in the forms a path may show
/// them: `(words, model)`, the longest first.
#[derive(Debug, Default)]
pub(super) struct KnownModels {
    forms: Vec<(String, String)>,
}

/// Model families whose tags are recognised in a folder name without any
/// file of the folder naming the model.
const FAMILIES: &[&str] = &[
    "llama",
    "codellama",
    "tinyllama",
    "gemma",
    "codegemma",
    "qwen",
    "mistral",
    "mixtral",
    "phi",
    "deepseek",
    "smollm",
    "granite",
    "olmo",
    "starcoder",
    "falcon",
    "vicuna",
    "llava",
    "nemotron",
    "hermes",
    "openhermes",
    "dolphin",
    "orca",
    "zephyr",
    "solar",
    "command",
    "gpt",
    "stablelm",
    "internlm",
    "minicpm",
    "exaone",
    "yi",
];

impl KnownModels {
    /// The models of every set of settings read so far.
    pub(super) fn from_configs<'a>(configs: impl IntoIterator<Item = &'a Settings>) -> Self {
        let mut forms = BTreeSet::new();
        for settings in configs {
            let Some(model) = settings.get(SettingId::Model) else {
                continue;
            };
            // `default`, `test` or `base` would turn up in any path.
            if !model.contains(|c: char| c.is_ascii_digit() || c == ':') {
                continue;
            }
            let words = words(model);
            if is_distinctive(&words) {
                forms.insert((words, model.to_owned()));
            }
            // Ollama's default tag is left out of most names.
            if let Some(bare) = model.strip_suffix(":latest") {
                let words = self::words(bare);
                if is_distinctive(&words) {
                    forms.insert((words, model.to_owned()));
                }
            }
        }
        let mut forms: Vec<(String, String)> = forms.into_iter().collect();
        // Longest first; equal lengths in sorted order, so the choice does
        // not depend on the order files were read in.
        forms.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.cmp(b)));
        Self { forms }
    }

    /// The model `path` names, if any (see the module's documentation).
    pub(super) fn model_in_path(&self, path: &str) -> Option<String> {
        let mut parts = path.rsplit('/');
        let name = parts.next().unwrap_or(path);
        let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
        let folders: Vec<&str> = parts.collect();
        for part in std::iter::once(stem).chain(folders.iter().copied()) {
            let part = words(part);
            let mut found = self
                .forms
                .iter()
                .filter(|(form, _)| holds_words(&part, form));
            let Some((longest, model)) = found.next() else {
                continue;
            };
            // `llama3.1_8b_vs_qwen2.5_7b`: two models, and no telling which
            // ran. A shorter form inside the longest one is the same model.
            let other = found.any(|(form, other)| other != model && !holds_words(longest, form));
            return (!other).then(|| model.clone());
        }
        folders
            .iter()
            .copied()
            .find(|folder| self.is_model_tag(folder))
            .map(str::to_owned)
    }

    /// A folder name that is a model tag of a known family, and no
    /// abbreviation of a model seen elsewhere.
    fn is_model_tag(&self, folder: &str) -> bool {
        let words = words(folder);
        let mut tokens = words.split('_');
        let Some(first) = tokens.next() else {
            return false;
        };
        let family = FAMILIES.iter().any(|family| {
            first
                .strip_prefix(family)
                .is_some_and(|rest| rest.is_empty() || is_version(rest))
        });
        let rest: Vec<&str> = tokens.collect();
        family
            && rest.iter().all(|word| is_tag_word(word))
            && rest.iter().any(|word| is_size_or_quant(word))
            && !self
                .forms
                .iter()
                .any(|(form, _)| form.len() > words.len() && form.starts_with(&format!("{words}_")))
    }
}

/// Lowercase letters and digits, every other run of characters one `_`.
fn words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let version_dot = c == '.'
            && out.ends_with(|p: char| p.is_ascii_digit())
            && chars.peek().is_some_and(char::is_ascii_digit);
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if version_dot {
            // `llama3.1` is not `llama3` followed by `1`.
            out.push('.');
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    if out.ends_with('_') {
        out.pop();
    }
    out
}

/// Long enough, and with a letter, not to turn up in paths by chance.
fn is_distinctive(words: &str) -> bool {
    words.len() >= 3 && words.bytes().any(|b| b.is_ascii_alphabetic())
}

/// `form` is in `part`, starting and ending at word boundaries.
fn holds_words(part: &str, form: &str) -> bool {
    part.match_indices(form).any(|(at, _)| {
        let end = at + form.len();
        (at == 0 || part.as_bytes()[at - 1] == b'_')
            && (end == part.len() || part.as_bytes()[end] == b'_')
    })
}

/// A word that can follow the family in a model tag: a version (`3`,
/// `2.5`), a size or quantisation (see [`is_size_or_quant`]) or a variant
/// name.
fn is_tag_word(word: &str) -> bool {
    const VARIANTS: &[&str] = &[
        "instruct", "it", "chat", "latest", "qat", "base", "coder", "code", "mini", "small",
        "medium", "large", "vision", "preview", "oss", "k", "m", "s", "l", "hf",
    ];
    VARIANTS.contains(&word) || is_version(word) || is_size_or_quant(word)
}

/// Digits, maybe with dots between them: `3`, `2.5`.
fn is_version(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_digit())
        && word.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// What tells one model build from another: a size (`7b`, `270m`, `1.5b`,
/// `8x7b`, `e2b`), a quantisation (`q4`, `q8` of `q8_0`, `iq4`, `fp16`,
/// `int8`, `awq`) or the default tag `latest`.
fn is_size_or_quant(word: &str) -> bool {
    const FORMATS: &[&str] = &[
        "latest", "fp16", "fp32", "bf16", "f16", "int4", "int8", "gguf", "awq", "gptq",
    ];
    if FORMATS.contains(&word) {
        return true;
    }
    let quant = word
        .strip_prefix("iq")
        .or_else(|| word.strip_prefix('q'))
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()));
    let size = word.strip_suffix(['b', 'm']).is_some_and(|number| {
        number.bytes().any(|b| b.is_ascii_digit())
            && number
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'x' | b'e' | b'.'))
    });
    quant || size
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(models: &[&str]) -> KnownModels {
        let configs: Vec<Settings> = models
            .iter()
            .map(|model| {
                let mut settings = Settings::new();
                settings.insert(SettingId::Model, *model);
                settings
            })
            .collect();
        KnownModels::from_configs(&configs)
    }

    #[test]
    fn a_model_seen_elsewhere_is_found_in_a_file_name() {
        let known = known(&["gemma3:270m", "gemma3:latest", "gemma3:1b-it-qat"]);
        let model = |path| known.model_in_path(path);
        assert_eq!(
            model("reports/gemma3/gemma3_270m_param_tuning.csv").as_deref(),
            Some("gemma3:270m")
        );
        assert_eq!(
            model("reports/gemma3/gemma3_1b-it-qat_param_tuning.csv").as_deref(),
            Some("gemma3:1b-it-qat")
        );
        // The default tag is left out of the name; the folder counts too.
        assert_eq!(
            model("reports/gemma3/gemma3_param_tuning.csv").as_deref(),
            Some("gemma3:latest")
        );
        assert_eq!(
            model("reports/gemma3/runs.csv").as_deref(),
            Some("gemma3:latest")
        );
    }

    #[test]
    fn words_must_match_whole() {
        let known = known(&["gemma3:270m", "phi3:mini"]);
        // gemma3_2700m is not gemma3:270m, nor is xphi3_mini phi3:mini.
        assert_eq!(known.model_in_path("runs/gemma3_2700m.csv"), None);
        assert_eq!(known.model_in_path("runs/xphi3_mini.csv"), None);
        assert_eq!(
            known
                .model_in_path("runs/bench-phi3-mini-q4.csv")
                .as_deref(),
            Some("phi3:mini")
        );
    }

    #[test]
    fn the_file_name_comes_before_its_folders() {
        let known = known(&["llama3.1:8b", "qwen2.5:7b"]);
        assert_eq!(
            known
                .model_in_path("llama3.1_8b/qwen2.5_7b_runs.json")
                .as_deref(),
            Some("qwen2.5:7b")
        );
    }

    #[test]
    fn a_folder_named_as_a_model_tag_is_its_model() {
        let known = known(&[]);
        let model = |path| known.model_in_path(path);
        assert_eq!(
            model("results/llama3.2-3b/run_1.json").as_deref(),
            Some("llama3.2-3b")
        );
        assert_eq!(
            model("results/qwen2.5_7b_q4_K_M/run_1.json").as_deref(),
            Some("qwen2.5_7b_q4_K_M")
        );
        assert_eq!(
            model("results/gemma3_latest/a.csv").as_deref(),
            Some("gemma3_latest")
        );
        // Not model tags: other words, no family, the file's own name.
        assert_eq!(model("results/llama_experiments/run_1.json"), None);
        assert_eq!(model("results/ollama/run_1.json"), None);
        assert_eq!(model("results/phi_notes/a.csv"), None);
        assert_eq!(model("llama3-8b.csv"), None);
    }

    #[test]
    fn a_folder_that_only_starts_a_known_model_names_none() {
        let known = known(&["llama3.1:8b-instruct-q4_0"]);
        assert_eq!(known.model_in_path("reports/llama3/baseline.json"), None);
    }

    #[test]
    fn versions_are_not_cut_at_their_dot() {
        let known = known(&["llama3:latest", "qwen2:7b"]);
        assert_eq!(known.model_in_path("runs/llama3.1_8b_runs.csv"), None);
        // Not qwen2:7b, though a model tag of its own.
        assert_eq!(
            known.model_in_path("runs/qwen2.5-7b/a.csv").as_deref(),
            Some("qwen2.5-7b")
        );
        assert_eq!(
            known.model_in_path("runs/llama3_runs.csv").as_deref(),
            Some("llama3:latest")
        );
    }

    #[test]
    fn a_name_holding_two_models_names_neither() {
        let known = known(&["llama3.1:8b", "qwen2.5:7b", "gemma3:270m", "gemma3:latest"]);
        assert_eq!(known.model_in_path("llama3.1_8b_vs_qwen2.5_7b.csv"), None);
        // A shorter model inside the longer one is no second model.
        assert_eq!(
            known.model_in_path("gemma3_270m_sweep.csv").as_deref(),
            Some("gemma3:270m")
        );
    }

    #[test]
    fn a_bare_family_or_a_generic_model_is_no_tag() {
        let known = known(&["default", "test"]);
        assert_eq!(known.model_in_path("results/gemma/gemma_1b.csv"), None);
        assert_eq!(known.model_in_path("results/llama3/8b.csv"), None);
        assert_eq!(known.model_in_path("configs/default/test_run.csv"), None);
    }

    #[test]
    fn short_or_numeric_models_are_never_looked_for() {
        let known = known(&["m", "42"]);
        assert_eq!(known.model_in_path("m/42/m_42.csv"), None);
    }
}
